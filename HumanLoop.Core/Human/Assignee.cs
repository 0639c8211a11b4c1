namespace HumanLoop.Human;

/// <summary>Builds assignee strings: <c>user:NAME</c> for a person, <c>role:NAME</c> for anyone holding a role.</summary>
public static class Assignee
{
    /// <summary>A single person, as <c>user:NAME</c>.</summary>
    public static string User(string name) => "user:" + name;

    /// <summary>Anyone holding a role, as <c>role:NAME</c>.</summary>
    public static string Role(string name) => "role:" + name;
}
