using System.ComponentModel.DataAnnotations;


namespace HumanLoop.Durable.Links;

/// <summary>Settings of the links notices carry: where they point and how long their tokens last.</summary>
public sealed class ActionLinkOptions
{
    /// <summary>The path of the review page; a link is <c>{BaseUrl}/review/{token}</c>.</summary>
    public const string ReviewPath = "/review";

    /// <summary>The path of the quick-action confirm page; a link is <c>{BaseUrl}/act/{token}</c>.</summary>
    public const string ActionPath = "/act";

    /// <summary>
    /// Gets or sets the public base URL of the app serving the pages (such as <c>https://humanloop.example.com</c>),
    /// without a trailing slash. The app sets it from <c>HumanLoop:Http:BaseUrl</c>.
    /// </summary>
    /// <value>
    /// The default is null: the first address this process's web server listens on (a wildcard host read as
    /// <c>localhost</c>), or <c>http://localhost:7071</c> without one. Set it wherever mail is read on another machine.
    /// </value>
    public Uri? BaseUrl { get; set; }

    /// <summary>
    /// Gets or sets the longest a link's token lasts. A token expires at the task's deadline when that comes sooner.
    /// </summary>
    /// <value>The default is 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Gets or sets the Data Protection application name; hosts that share links must share it.</summary>
    /// <value>The default is <c>HumanLoop</c>.</value>
    [Required]
    public string ApplicationName { get; set; } = "HumanLoop";
}
