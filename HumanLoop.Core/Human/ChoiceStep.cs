using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>Pick one of <see cref="Options"/>; matching ignores case and surrounding spaces, and the accepted answer is the option as declared.</summary>
public sealed class ChoiceStep<TState> : HumanStep<TState, string>
    where TState : class
{
    /// <summary>The allowed answers. At least two are required.</summary>
    public required IReadOnlyList<string> Options { get; init; }

    /// <summary>
    /// Maps a free-form reply that is not an option itself onto one of <see cref="Options"/> (such as "I have an existing
    /// account" onto <c>existing</c>), or returns <see langword="null"/> when it cannot; such a reply is refused with the
    /// allowed options. It runs inside the run machine, so it must be deterministic (no clock, I/O or model calls). The
    /// default maps nothing.
    /// </summary>
    public Func<string, string?>? Interpret { get; init; }

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Choice;

    private protected override JsonTypeInfo<string> AnswerType => HumanLoopJsonContext.Default.String;

    internal override StepPresentation Present(TState state) => new(Options, null);

    internal override void Validate(string node, ICollection<string> problems, Func<string, bool> isNode)
    {
        base.Validate(node, problems, isNode);
        if (Options.Count < 2)
        {
            problems.Add($"Human node '{node}': a choice needs at least two options.");
        }

        if (HasDefault && !Options.Contains(Default, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"Human node '{node}': the default '{Default}' is not one of its options ({string.Join(", ", Options)}).");
        }
    }

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out string answer, [NotNullWhen(false)] out string? error)
    {
        var text = AsText(raw)?.Trim();
        answer = text is null ? null : Match(text);
        if (answer is null && text is { Length: > 0 } && Interpret?.Invoke(text) is { } interpreted)
        {
            // Only an option counts: an interpretation that names something else is refused like the reply itself.
            answer = Match(interpreted.Trim());
        }

        if (answer is null)
        {
            error = $"{(text is null ? Describe(raw) : "'" + text + "'")} is not one of the allowed choices: {string.Join(", ", Options)}.";
            return false;
        }

        error = null;
        return true;
    }

    private string? Match(string text) => Options.FirstOrDefault(o => string.Equals(o, text, StringComparison.OrdinalIgnoreCase));
}
