using HumanLoop.Functions.Pages;

namespace HumanLoop.Functions.Tests.Pages;

public sealed class HtmlTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")]
    [InlineData("it's & \"quoted\"", "it&#x27;s &amp; &quot;quoted&quot;")]
    public void TextAndAttribute_HostileText_AreEncoded(string text, string encoded)
    {
        Assert.Equal($"<p>{encoded}</p>", new Html().Element("p", text).ToString());
        Assert.Equal($" value=\"{encoded}\"", new Html().Attribute("value", text).ToString());
    }

    [Fact]
    public void Text_LoneSurrogates_BecomeReplacementCharactersNotBrokenUtf16()
    {
        var html = new Html().Text("a\uD800b\uDC00c").ToString();

        Assert.DoesNotContain(html, char.IsSurrogate);
        Assert.StartsWith("a", html, StringComparison.Ordinal);
        Assert.EndsWith("c", html, StringComparison.Ordinal);
        Assert.Equal(2, html.Split("&#xFFFD;").Length - 1);
    }

    [Fact]
    public void Text_PairedSurrogates_AreKeptAsOneCharacter()
    {
        var html = new Html().Text("ok \U0001F600").ToString();

        Assert.Equal("ok &#x1F600;", html);
    }
}
