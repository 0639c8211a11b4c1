using System.Security.Claims;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// A signed-in person as HumanLoop sees them: a user name and the roles they hold, read from the claims every
/// authentication scheme produces (OpenID Connect, JWT bearer, the development sign-in, a link token).
/// </summary>
/// <param name="User">The user name that <c>user:NAME</c> assignees name.</param>
/// <param name="Roles">The roles that <c>role:NAME</c> assignees name.</param>
public sealed record Reviewer(string User, IReadOnlySet<string> Roles)
{
    /// <summary>The claim types a user name is read from, first match wins.</summary>
    public static readonly string[] UserClaimTypes = ["preferred_username", ClaimTypes.Name, "name", ClaimTypes.NameIdentifier, "sub"];

    /// <summary>The claim types roles are read from.</summary>
    public static readonly string[] RoleClaimTypes = [ClaimTypes.Role, "roles", "role"];

    /// <summary>The respondent string recorded for this reviewer's answers: <c>user:NAME</c>.</summary>
    public string Respondent => "user:" + User;

    /// <summary>The reviewer a principal is, or null when it is not authenticated or names no user.</summary>
    /// <param name="principal">The request's user.</param>
    public static Reviewer? From(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var user = UserClaimTypes.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (user is null)
        {
            return null;
        }

        var roles = principal.Claims.Where(c => RoleClaimTypes.Contains(c.Type, StringComparer.Ordinal))
            .Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new Reviewer(user, roles);
    }

    /// <summary>
    /// Whether this reviewer is one of <paramref name="assignees"/>: named as <c>user:NAME</c>, or holding a role named
    /// as <c>role:NAME</c> (both case-insensitive). A request with no assignees may be answered by anyone signed in.
    /// </summary>
    /// <param name="assignees">The request's assignees.</param>
    public bool IsAssignee(IReadOnlyCollection<string> assignees)
    {
        ArgumentNullException.ThrowIfNull(assignees);
        if (assignees.Count == 0)
        {
            return true;
        }

        foreach (var assignee in assignees)
        {
            if (assignee.StartsWith("user:", StringComparison.OrdinalIgnoreCase)
                && string.Equals(assignee["user:".Length..], User, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (assignee.StartsWith("role:", StringComparison.OrdinalIgnoreCase) && Roles.Contains(assignee["role:".Length..]))
            {
                return true;
            }
        }

        return false;
    }
}
