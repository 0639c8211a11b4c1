using System.Buffers.Text;
using System.Text;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Wraps the store's continuation token in an opaque, versioned form for the <c>x-ms-continuation-token</c> header,
/// so that a token this API did not issue is refused with a 400 instead of silently starting a scan elsewhere.
/// </summary>
internal static class ContinuationTokens
{
    private const string Prefix = "hl1.";

    public static string Encode(string storeToken) => Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(storeToken));

    public static bool TryDecode(string token, out string storeToken)
    {
        storeToken = string.Empty;
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length == Prefix.Length)
        {
            return false;
        }

        try
        {
            storeToken = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(Prefix.Length)));
            return storeToken.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
