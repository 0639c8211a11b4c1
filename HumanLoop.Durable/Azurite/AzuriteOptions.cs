using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Azurite;

/// <summary>How <see cref="AzuriteLauncher"/> installs and starts Azurite.</summary>
public sealed class AzuriteOptions
{
    /// <summary>Gets or sets the Blob service port; 0 picks a free port.</summary>
    /// <value>The default is 0. Azurite's own default is 10000.</value>
    [Range(0, 65535)]
    public int BlobPort { get; set; }

    /// <summary>Gets or sets the Queue service port; 0 picks a free port.</summary>
    /// <value>The default is 0. Azurite's own default is 10001.</value>
    [Range(0, 65535)]
    public int QueuePort { get; set; }

    /// <summary>Gets or sets the Table service port; 0 picks a free port.</summary>
    /// <value>The default is 0. Azurite's own default is 10002.</value>
    [Range(0, 65535)]
    public int TablePort { get; set; }

    /// <summary>
    /// Gets or sets the folder Azurite keeps its data in (<c>--location</c>); it is created if missing.
    /// A relative path is relative to the current directory.
    /// </summary>
    /// <value>The default is <see langword="null"/>: <c>.azurite</c> in the folder that holds package.json.</value>
    public string? DataFolder { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether Azurite keeps its data in memory only (<c>--inMemoryPersistence</c>):
    /// nothing survives its process, and <see cref="DataFolder"/> is not used. On disk, Azurite saves its whole store
    /// every five seconds, which costs it more CPU the more rows and messages it holds; for a throwaway emulator
    /// (benchmarks) memory is the faster choice.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool InMemory { get; set; }

    /// <summary>
    /// Gets or sets the folder that holds the package.json pinning Azurite (and its node_modules).
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: the nearest folder with a package.json that depends on
    /// <c>azurite</c>, walking up from <see cref="AppContext.BaseDirectory"/> and then from the current directory.
    /// </value>
    public string? RepositoryRoot { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a missing <c>node_modules/.bin/azurite</c> is installed
    /// with <c>npm ci</c> (or <c>npm install</c> when there is no package-lock.json).
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool InstallIfMissing { get; set; } = true;

    /// <summary>Gets or sets how long the npm install may take.</summary>
    /// <value>The default is 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan InstallTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how long Azurite may take until all three ports answer HTTP requests.</summary>
    /// <value>The default is 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets how long <see cref="AzuriteLauncher.StopAsync"/> lets Azurite shut down cleanly
    /// (saving its data) before it kills the process tree.
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
