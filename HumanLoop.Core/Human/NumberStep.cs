using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;

namespace HumanLoop.Human;

/// <summary>A number within <see cref="Min"/> and <see cref="Max"/> (inclusive). Typed text is read with the invariant culture.</summary>
public sealed class NumberStep<TState> : HumanStep<TState, decimal>
    where TState : class
{
    /// <summary>The smallest accepted value. The default is no lower bound.</summary>
    public decimal? Min { get; init; }

    /// <summary>The largest accepted value. The default is no upper bound.</summary>
    public decimal? Max { get; init; }

    /// <summary>Whether only whole numbers are accepted. The default is <see langword="false"/>.</summary>
    public bool WholeNumber { get; init; }

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Number;

    private protected override JsonTypeInfo<decimal> AnswerType => HumanLoopJsonContext.Default.Decimal;

    internal override StepPresentation Present(TState state) =>
        StepPresentation.Of(new JsonObject { ["min"] = Min, ["max"] = Max, ["wholeNumber"] = WholeNumber });

    internal override void Validate(string node, ICollection<string> problems, Func<string, bool> isNode)
    {
        base.Validate(node, problems, isNode);
        if (Min > Max)
        {
            problems.Add($"Human node '{node}': Min ({Min}) is greater than Max ({Max}).");
        }
    }

    private protected override bool TryParse(TState state, JsonElement raw, out decimal answer, [NotNullWhen(false)] out string? error)
    {
        answer = 0;
        bool parsed = raw.ValueKind == JsonValueKind.Number
            ? raw.TryGetDecimal(out answer)
            : raw.ValueKind == JsonValueKind.String
              && decimal.TryParse(raw.GetString()!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out answer);
        if (!parsed)
        {
            error = $"Expected a number{Range()}, not {Describe(raw)}.";
            return false;
        }

        if (answer < Min || answer > Max)
        {
            error = $"{answer.ToString(CultureInfo.InvariantCulture)} is out of range: expected a number{Range()}.";
            return false;
        }

        if (WholeNumber && decimal.Truncate(answer) != answer)
        {
            error = $"Expected a whole number, not {answer.ToString(CultureInfo.InvariantCulture)}.";
            return false;
        }

        error = null;
        return true;
    }

    private string Range() => (Min, Max) switch
    {
        ({ } min, { } max) => FormattableString.Invariant($" from {min} to {max}"),
        ({ } min, null) => FormattableString.Invariant($" of at least {min}"),
        (null, { } max) => FormattableString.Invariant($" of at most {max}"),
        _ => "",
    };
}
