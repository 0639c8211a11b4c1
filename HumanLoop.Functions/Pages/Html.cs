using System.Text;
using System.Text.Encodings.Web;

namespace HumanLoop.Functions.Pages;

/// <summary>
/// A small HTML writer for the pages: every text and attribute value goes through <see cref="HtmlEncoder"/> (which
/// also replaces lone surrogates), and only the fixed markup written here is raw. Nothing inline is ever written
/// (no script, no style attribute), so the pages hold under a Content-Security-Policy without 'unsafe-inline'.
/// </summary>
internal sealed class Html
{
    private readonly StringBuilder _text = new();

    /// <summary>Writes fixed markup. Never pass it anything that came from a request, a task or a state.</summary>
    /// <param name="markup">Markup written in this assembly.</param>
    public Html Raw(string markup)
    {
        _text.Append(markup);
        return this;
    }

    /// <summary>Writes text, encoded.</summary>
    /// <param name="text">Any text.</param>
    public Html Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            _text.Append(HtmlEncoder.Default.Encode(text));
        }

        return this;
    }

    /// <summary>Writes an element holding encoded text: <c>&lt;tag class="..."&gt;text&lt;/tag&gt;</c>.</summary>
    /// <param name="tag">The element name (fixed).</param>
    /// <param name="text">Its text.</param>
    /// <param name="cssClass">Its class (fixed), if any.</param>
    public Html Element(string tag, string? text, string? cssClass = null)
    {
        _text.Append('<').Append(tag);
        if (cssClass is not null)
        {
            _text.Append(" class=\"").Append(cssClass).Append('"');
        }

        _text.Append('>');
        Text(text);
        _text.Append("</").Append(tag).Append('>');
        return this;
    }

    /// <summary>Writes <c> name="value"</c> with the value encoded.</summary>
    /// <param name="name">The attribute name (fixed).</param>
    /// <param name="value">Its value.</param>
    public Html Attribute(string name, string? value)
    {
        _text.Append(' ').Append(name).Append("=\"").Append(HtmlEncoder.Default.Encode(value ?? string.Empty)).Append('"');
        return this;
    }

    /// <summary>Writes a hidden input.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="value">Its value.</param>
    public Html Hidden(string name, string? value) => Raw("<input type=\"hidden\"").Attribute("name", name).Attribute("value", value).Raw(">");

    /// <summary>Writes a definition-list row.</summary>
    /// <param name="term">The term (encoded).</param>
    /// <param name="value">The value (encoded).</param>
    public Html Row(string term, string? value) => Element("dt", term).Element("dd", value);

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();
}
