using System.Text;
using HumanLoop.Functions.Identity;

namespace HumanLoop.Functions.Pages;

/// <summary>An HTML page: the shared layout around a body, with <see cref="PageSecurity"/>'s headers and a status code.</summary>
/// <param name="status">The status code.</param>
/// <param name="title">The page title (encoded).</param>
/// <param name="body">The page's content.</param>
/// <param name="script">The path of the app's own script the page runs, if any (its policy is then <see cref="PageSecurity.ChatContentSecurityPolicy"/>).</param>
internal sealed class PageResult(int status, string title, Html body, string? script = null) : IResult
{
    /// <summary>The style sheet's path.</summary>
    public const string StyleSheetPath = "/assets/humanloop.css";

    /// <summary>The status code.</summary>
    public int StatusCode => status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        PageSecurity.Apply(response, script is null ? PageSecurity.ContentSecurityPolicy : PageSecurity.ChatContentSecurityPolicy);
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        var reviewer = Reviewer.From(httpContext.User);
        var page = new Html()
            .Raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">")
            .Element("title", title + " · HumanLoop")
            .Raw("<link rel=\"stylesheet\"").Attribute("href", httpContext.Request.PathBase + StyleSheetPath).Raw("></head><body>")
            .Raw("<header class=\"site\"><a").Attribute("href", httpContext.Request.PathBase + "/inbox").Raw(">HumanLoop</a>")
            .Element("span", reviewer is null ? null : "Signed in as " + reviewer.User, "muted")
            .Raw("</header><main>")
            .Element("h1", title)
            .Raw(body.ToString())
            .Raw("</main>");
        if (script is not null)
        {
            page.Raw("<script").Attribute("src", httpContext.Request.PathBase + script).Raw("></script>");
        }

        page.Raw("</body></html>");
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(page.ToString()), httpContext.RequestAborted);
    }
}
