namespace HumanLoop.Human;

/// <summary>The kinds of human step.</summary>
public enum HumanStepKind
{
    /// <summary>Approve, or reject with a reason.</summary>
    Approval,

    /// <summary>Pick one of a fixed set of options.</summary>
    Choice,

    /// <summary>A line of text with a length limit and an optional pattern.</summary>
    Text,

    /// <summary>A number within a range.</summary>
    Number,

    /// <summary>An object validated against a JSON Schema.</summary>
    Form,

    /// <summary>Edit a value, such as a draft, or approve it unchanged.</summary>
    Edit,

    /// <summary>Any non-empty answer.</summary>
    FreeResponse,
}
