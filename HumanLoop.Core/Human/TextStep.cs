using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>A line of text within a length limit, optionally matching a pattern.</summary>
public sealed class TextStep<TState> : HumanStep<TState, string>
    where TState : class
{
    private Regex? _regex;

    /// <summary>The fewest characters accepted after trimming. The default is 1.</summary>
    public int MinLength { get; init; } = 1;

    /// <summary>The most characters accepted after trimming. The default is 500.</summary>
    public int MaxLength { get; init; } = 500;

    /// <summary>A regular expression the whole answer must match. The default is none.</summary>
    public string? Pattern { get; init; }

    /// <summary>Words for the pattern in error messages, such as "an order number like AB-1234". The default shows the pattern.</summary>
    public string? PatternDescription { get; init; }

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Text;

    private protected override JsonTypeInfo<string> AnswerType => HumanLoopJsonContext.Default.String;

    internal override StepPresentation Present(TState state) =>
        StepPresentation.Of(new JsonObject { ["minLength"] = MinLength, ["maxLength"] = MaxLength, ["pattern"] = Pattern });

    internal override void Validate(string node, ICollection<string> problems, Func<string, bool> isNode)
    {
        base.Validate(node, problems, isNode);
        if (MinLength < 0 || MaxLength < MinLength)
        {
            problems.Add($"Human node '{node}': text length limits must satisfy 0 <= MinLength <= MaxLength (were {MinLength} and {MaxLength}).");
        }

        if (Pattern is not null)
        {
            try
            {
                _regex = BuildRegex(Pattern);
            }
            catch (ArgumentException e)
            {
                problems.Add($"Human node '{node}': pattern '{Pattern}' is not a valid regular expression: {e.Message}");
            }
        }
    }

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out string answer, [NotNullWhen(false)] out string? error)
    {
        answer = AsText(raw)?.Trim();
        if (answer is null)
        {
            error = $"Expected text, not {Describe(raw)}.";
            return false;
        }

        if (answer.Length < MinLength || answer.Length > MaxLength)
        {
            error = answer.Length < MinLength
                ? (MinLength == 1 ? "The answer must not be empty." : $"The answer must be at least {MinLength} characters (it has {answer.Length}).")
                : $"The answer must be at most {MaxLength} characters (it has {answer.Length}).";
            return false;
        }

        try
        {
            if (Pattern is not null && !(_regex ??= BuildRegex(Pattern)).IsMatch(answer))
            {
                error = $"The answer must be {PatternDescription ?? "text matching " + Pattern}.";
                return false;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            error = "The answer could not be checked against the pattern in time; please shorten it.";
            return false;
        }

        error = null;
        return true;
    }

    // Anchored so the whole answer must match; bounded so a hostile answer cannot stall the run machine.
    private static Regex BuildRegex(string pattern) =>
        new("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
