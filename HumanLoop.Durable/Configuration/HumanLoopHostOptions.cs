using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Configuration;

/// <summary>The <c>extensions.humanLoop</c> section of host.json: settings of HumanLoop's own host.</summary>
public sealed class HumanLoopHostOptions
{
    /// <summary>Gets or sets the HTTP port the host listens on (<c>port</c>).</summary>
    /// <value>The default is 7071, the Azure Functions local port. Valid values are 1 to 65535.</value>
    [Range(1, 65535)]
    public int Port { get; set; } = 7071;

    /// <summary>
    /// Gets or sets the folder where a locally launched Azurite keeps its data (<c>azuriteDataFolder</c>).
    /// A relative path is relative to the folder that holds host.json (see <see cref="HostJsonSettings.ResolvePath"/>).
    /// </summary>
    /// <value>The default is <c>.azurite</c>.</value>
    [Required(AllowEmptyStrings = false)]
    public string AzuriteDataFolder { get; set; } = ".azurite";
}
