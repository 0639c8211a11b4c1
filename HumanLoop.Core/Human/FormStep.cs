using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using HumanLoop.Serialization;
using NJsonSchema;
using NJsonSchema.Validation;

namespace HumanLoop.Human;

/// <summary>An object validated against a JSON Schema (<see cref="Schema"/>). Typed text is parsed as JSON.</summary>
public sealed class FormStep<TState> : HumanStep<TState, JsonElement>
    where TState : class
{
    private JsonSchema? _compiled;

    /// <summary>The JSON Schema (draft 4 to 2020-12 keywords as supported by NJsonSchema) the answer must satisfy.</summary>
    public required string Schema { get; init; }

    /// <inheritdoc/>
    public override HumanStepKind Kind => HumanStepKind.Form;

    private protected override JsonTypeInfo<JsonElement> AnswerType => HumanLoopJsonContext.Default.JsonElement;

    internal override StepPresentation Present(TState state) =>
        StepPresentation.Of(new JsonObject { ["schema"] = JsonNode.Parse(Schema) });

    internal override void Validate(string node, ICollection<string> problems, Func<string, bool> isNode)
    {
        base.Validate(node, problems, isNode);
        try
        {
            _compiled = Compile(Schema);
        }
        catch (Exception e) when (e is JsonException or Newtonsoft.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            problems.Add($"Human node '{node}': its JSON Schema is invalid: {e.Message}");
        }
    }

    private protected override bool TryParse(TState state, JsonElement raw, [MaybeNullWhen(false)] out JsonElement answer, [NotNullWhen(false)] out string? error)
    {
        answer = raw;
        if (raw.ValueKind == JsonValueKind.String)
        {
            try
            {
                answer = JsonDocument.Parse(raw.GetString()!).RootElement;
            }
            catch (JsonException)
            {
                error = "Expected a JSON object for this form; the text is not valid JSON.";
                return false;
            }
        }

        if (answer.ValueKind != JsonValueKind.Object)
        {
            error = $"Expected a JSON object for this form, not {Describe(answer)}.";
            return false;
        }

        var errors = (_compiled ??= Compile(Schema)).Validate(answer.GetRawText());
        if (errors.Count > 0)
        {
            error = "The form is invalid: " + string.Join("; ", errors.Select(Format)) + ".";
            return false;
        }

        error = null;
        return true;
    }

    private static JsonSchema Compile(string schema) => JsonSchema.FromJsonAsync(schema).GetAwaiter().GetResult();

    private static string Format(ValidationError e)
    {
        var path = string.IsNullOrEmpty(e.Path) ? "#" : e.Path;
        return $"{path}: {e.Kind}";
    }
}
