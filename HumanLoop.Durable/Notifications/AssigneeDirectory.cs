using Microsoft.Extensions.Options;

namespace HumanLoop.Durable.Notifications;

/// <summary>Resolves assignees (<c>user:NAME</c>, <c>role:NAME</c>) to the people and addresses of <see cref="DirectoryOptions"/>.</summary>
public sealed class AssigneeDirectory
{
    private readonly IOptionsMonitor<DirectoryOptions> _options;

    /// <summary>Creates the directory over its options.</summary>
    /// <param name="options">The configured directory.</param>
    public AssigneeDirectory(IOptionsMonitor<DirectoryOptions> options) => _options = options;

    /// <summary>
    /// The people a task assigned to <paramref name="assignees"/> notifies, each once, in the order named: a user
    /// directly, a role through its members. People without an address and names the directory lacks are left out.
    /// </summary>
    /// <param name="assignees">The task's assignees.</param>
    /// <param name="unresolved">The assignees (or role members) that gave no address.</param>
    public IReadOnlyList<Recipient> Resolve(IEnumerable<string> assignees, out IReadOnlyList<string> unresolved)
    {
        ArgumentNullException.ThrowIfNull(assignees);
        var options = _options.CurrentValue;
        var users = new Dictionary<string, DirectoryUser>(options.Users, StringComparer.OrdinalIgnoreCase);
        var roles = new Dictionary<string, List<string>>(options.Roles, StringComparer.OrdinalIgnoreCase);
        var found = new List<Recipient>();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        void AddUser(string name, string via)
        {
            if (users.TryGetValue(name, out var user) && !string.IsNullOrWhiteSpace(user.Email))
            {
                if (seen.Add(user.Email.Trim()))
                {
                    found.Add(new Recipient(name, user.DisplayName ?? name, user.Email.Trim(), via));
                }
            }
            else
            {
                missing.Add("user:" + name);
            }
        }

        foreach (var assignee in assignees)
        {
            if (assignee.StartsWith("user:", StringComparison.OrdinalIgnoreCase))
            {
                AddUser(assignee["user:".Length..], assignee);
            }
            else if (assignee.StartsWith("role:", StringComparison.OrdinalIgnoreCase)
                && roles.TryGetValue(assignee["role:".Length..], out var members) && members.Count > 0)
            {
                foreach (var member in members)
                {
                    AddUser(member, assignee);
                }
            }
            else
            {
                missing.Add(assignee);
            }
        }

        unresolved = missing;
        return found;
    }

    /// <summary>
    /// Whether <paramref name="assignee"/> (<c>user:NAME</c> or <c>role:NAME</c>) is one of <paramref name="assignees"/>:
    /// named there, or, for a user, a member of a role named there. Names compare case-insensitively. A link made for
    /// one person of a role (email links are) answers only while the directory still lists them in it.
    /// </summary>
    /// <param name="assignees">The task's assignees.</param>
    /// <param name="assignee">The assignee a link or notice was made for.</param>
    public bool Names(IEnumerable<string> assignees, string assignee)
    {
        ArgumentNullException.ThrowIfNull(assignees);
        ArgumentNullException.ThrowIfNull(assignee);
        var list = assignees as IReadOnlyCollection<string> ?? [.. assignees];
        if (list.Contains(assignee, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!assignee.StartsWith("user:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var user = assignee["user:".Length..];
        var roles = new Dictionary<string, List<string>>(_options.CurrentValue.Roles, StringComparer.OrdinalIgnoreCase);
        return list.Any(a => a.StartsWith("role:", StringComparison.OrdinalIgnoreCase)
            && roles.TryGetValue(a["role:".Length..], out var members)
            && members.Contains(user, StringComparer.OrdinalIgnoreCase));
    }
}

/// <summary>A person a notice goes to.</summary>
/// <param name="UserName">Their user name (the <c>NAME</c> of <c>user:NAME</c>).</param>
/// <param name="DisplayName">The name the email greets them with.</param>
/// <param name="Email">Their address.</param>
/// <param name="Via">The task's assignee that named them (<c>user:NAME</c> or <c>role:NAME</c>).</param>
public sealed record Recipient(string UserName, string DisplayName, string Email, string Via)
{
    /// <summary>Their assignee string, <c>user:NAME</c>: what their links are bound to.</summary>
    public string Assignee => "user:" + UserName;
}
