namespace HumanLoop.Functions.Pages;

/// <summary>Serves the pages' style sheet from the assembly (no CDN, no static-files folder to deploy).</summary>
internal static class PageAssets
{
    private static readonly Lazy<byte[]> StyleSheet = new(() => Read("HumanLoop.Functions.Pages.Assets.humanloop.css"));

    private static readonly Lazy<byte[]> ChatScript = new(() => Read("HumanLoop.Functions.Pages.Assets.chat.js"));

    /// <summary>The chat page's script: written here, served by the app, allowed by <c>script-src 'self'</c>.</summary>
    public const string ChatScriptPath = "/assets/chat.js";

    public static IEndpointRouteBuilder MapPageAssets(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(ChatScriptPath, (HttpContext context) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(ChatScript.Value, "text/javascript; charset=utf-8");
        }).ExcludeFromDescription();
        routes.MapGet(PageResult.StyleSheetPath, (HttpContext context) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(StyleSheet.Value, "text/css; charset=utf-8");
        }).ExcludeFromDescription();
        return routes;
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The pages' asset '{name}' is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
