namespace HumanLoop.Durable.Notifications;

/// <summary>
/// Who the assignees of a task are, for email: the configuration section <c>HumanLoop:Directory</c>, with
/// <c>Users:{name}:Email</c> for each person and <c>Roles:{role}</c> listing the user names holding a role.
/// </summary>
public sealed class DirectoryOptions
{
    /// <summary>The configuration section: <c>HumanLoop:Directory</c>.</summary>
    public const string SectionName = "HumanLoop:Directory";

    /// <summary>People by user name (the <c>NAME</c> of <c>user:NAME</c>). The default is none.</summary>
    public Dictionary<string, DirectoryUser> Users { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The user names holding each role (the <c>NAME</c> of <c>role:NAME</c>). The default is none.</summary>
    public Dictionary<string, List<string>> Roles { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A person of the directory.</summary>
public sealed class DirectoryUser
{
    /// <summary>Where their notices go.</summary>
    public string? Email { get; set; }

    /// <summary>The name an email greets them with. The default is the user name.</summary>
    public string? DisplayName { get; set; }
}
