namespace HumanLoop.Human;

/// <summary>An accepted answer to a human step: the validated value, who gave it and when.</summary>
/// <typeparam name="TAnswer">The step's answer type.</typeparam>
/// <param name="Value">The validated, normalised answer.</param>
/// <param name="Respondent">Who answered: a user, or <c>system:default</c> / <c>system:timeout</c> for defaults.</param>
/// <param name="AnsweredAt">When the answer was accepted.</param>
public sealed record HumanAnswer<TAnswer>(TAnswer Value, string Respondent, DateTimeOffset AnsweredAt);
