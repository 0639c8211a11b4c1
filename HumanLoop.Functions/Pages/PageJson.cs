using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HumanLoop.Functions.Pages;

/// <summary>How the pages print JSON (a state, a schema): indented, every character kept as is (the page encodes it).</summary>
internal static class PageJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Indent(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
