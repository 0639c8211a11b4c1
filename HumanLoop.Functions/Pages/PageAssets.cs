namespace HumanLoop.Functions.Pages;

/// <summary>Serves the pages' style sheet from the assembly (no CDN, no static-files folder to deploy).</summary>
internal static class PageAssets
{
    private static readonly Lazy<byte[]> StyleSheet = new(() =>
    {
        using var stream = typeof(PageAssets).Assembly.GetManifestResourceStream("HumanLoop.Functions.Pages.Assets.humanloop.css")
            ?? throw new InvalidOperationException("The pages' style sheet is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IEndpointRouteBuilder MapPageAssets(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(PageResult.StyleSheetPath, (HttpContext context) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(StyleSheet.Value, "text/css; charset=utf-8");
        }).ExcludeFromDescription();
        return routes;
    }
}
