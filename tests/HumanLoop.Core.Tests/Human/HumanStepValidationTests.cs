using System.Text.Json;
using HumanLoop.Human;

namespace HumanLoop.Core.Tests.Human;

public sealed class HumanStepValidationTests
{
    private static readonly Doc State = new(Title: "Q3 report", Draft: "The first draft.");

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    private static JsonElement Text(string text) => JsonSerializer.SerializeToElement(text);

    private static string? Error<TAnswer>(HumanStep<Doc, TAnswer> step, JsonElement raw) => step.Check(State, raw).Error;

    private static JsonElement Accepted<TAnswer>(HumanStep<Doc, TAnswer> step, JsonElement raw)
    {
        var check = step.Check(State, raw);
        Assert.True(check.IsValid, check.Error);
        return check.Normalized;
    }

    [Theory]
    [InlineData("\"approve\"", true, null)]
    [InlineData("\"Yes\"", true, null)]
    [InlineData("\"reject: numbers are wrong\"", false, "numbers are wrong")]
    [InlineData("{\"approved\": false, \"reason\": \"late\"}", false, "late")]
    [InlineData("{\"decision\": \"approve\"}", true, null)]
    [InlineData("true", true, null)]
    public void Approval_ValidAnswers_AreNormalised(string raw, bool approved, string? reason)
    {
        var step = new ApprovalStep<Doc> { Prompt = _ => "?", Apply = (s, _) => s };

        var answer = Accepted(step, Json(raw)).Deserialize(HumanLoop.Serialization.HumanLoopJsonContext.Default.ApprovalDecision)!;

        Assert.Equal(approved, answer.Approved);
        Assert.Equal(reason, answer.Reason);
    }

    [Fact]
    public void Approval_RejectWithoutReason_AsksForOne()
    {
        var step = new ApprovalStep<Doc> { Prompt = _ => "?", Apply = (s, _) => s };

        Assert.Equal("A rejection needs a reason, for example 'reject: the figures are wrong'.", Error(step, Text("reject")));
        var lenient = new ApprovalStep<Doc> { Prompt = _ => "?", RequireReasonOnReject = false, Apply = (s, _) => s };
        Assert.Null(Error(lenient, Text("reject")));
    }

    [Theory]
    [InlineData("\"maybe\"", "Answer 'approve' or 'reject' (with a reason), not '\"maybe\"'.")]
    [InlineData("42", "Answer 'approve' or 'reject' (with a reason), not '42'.")]
    [InlineData("[1]", "Answer 'approve' or 'reject' (with a reason), not a list.")]
    public void Approval_Gibberish_IsRejectedWithGuidance(string raw, string expected)
    {
        var step = new ApprovalStep<Doc> { Prompt = _ => "?", Apply = (s, _) => s };

        Assert.Equal(expected, Error(step, Json(raw)));
    }

    [Fact]
    public void Choice_MatchesCaseInsensitivelyAndReturnsDeclaredOption()
    {
        var step = new ChoiceStep<Doc> { Prompt = _ => "?", Options = ["Fly", "Drive"], Apply = (s, _) => s };

        Assert.Equal("Fly", Accepted(step, Text("  fLY ")).GetString());
    }

    [Fact]
    public void Choice_UnknownOption_NamesTheAllowedChoices()
    {
        var step = new ChoiceStep<Doc> { Prompt = _ => "?", Options = ["fly", "drive"], Apply = (s, _) => s };

        Assert.Equal("'walk' is not one of the allowed choices: fly, drive.", Error(step, Text("walk")));
        Assert.Equal("an object is not one of the allowed choices: fly, drive.", Error(step, Json("{}")));
    }

    [Fact]
    public void Text_LengthLimitsAndPattern_AreEnforced()
    {
        var step = new TextStep<Doc>
        {
            Prompt = _ => "?",
            MinLength = 2,
            MaxLength = 7,
            Pattern = "[A-Z]{2}-[0-9]+",
            PatternDescription = "an order number like AB-12",
            Apply = (s, _) => s,
        };

        Assert.Equal("The answer must be at least 2 characters (it has 1).", Error(step, Text("A")));
        Assert.Equal("The answer must be at most 7 characters (it has 8).", Error(step, Text("AB-12345")));
        Assert.Equal("The answer must be an order number like AB-12.", Error(step, Text("ab-12")));
        Assert.Equal("Expected text, not an object.", Error(step, Json("{}")));
        Assert.Equal("AB-12", Accepted(step, Text(" AB-12 ")).GetString());
    }

    [Fact]
    public void Text_EmptyAnswer_IsRejected()
    {
        var step = new TextStep<Doc> { Prompt = _ => "?", Apply = (s, _) => s };

        Assert.Equal("The answer must not be empty.", Error(step, Text("   ")));
    }

    [Theory]
    [InlineData("5", null)]
    [InlineData("\"7.5\"", null)]
    [InlineData("11", "11 is out of range: expected a number from 1 to 10.")]
    [InlineData("0", "0 is out of range: expected a number from 1 to 10.")]
    [InlineData("\"ten\"", "Expected a number from 1 to 10, not '\"ten\"'.")]
    [InlineData("null", "Expected a number from 1 to 10, not nothing.")]
    public void Number_RangeAndType_AreEnforced(string raw, string? expected)
    {
        var step = new NumberStep<Doc> { Prompt = _ => "?", Min = 1, Max = 10, Apply = (s, _) => s };

        Assert.Equal(expected, Error(step, Json(raw)));
    }

    [Fact]
    public void Number_WholeNumber_RejectsFractions()
    {
        var step = new NumberStep<Doc> { Prompt = _ => "?", WholeNumber = true, Apply = (s, _) => s };

        Assert.Equal("Expected a whole number, not 2.5.", Error(step, Json("2.5")));
        Assert.Equal(3m, Accepted(step, Json("3")).GetDecimal());
    }

    [Fact]
    public void Form_ObjectIsValidatedAgainstSchema()
    {
        var step = new FormStep<Doc>
        {
            Prompt = _ => "?",
            Schema = """
                {"type":"object","required":["name","age"],
                 "properties":{"name":{"type":"string","minLength":1},"age":{"type":"integer","minimum":18}}}
                """,
            Apply = (s, _) => s,
        };

        Assert.Null(Error(step, Json("""{"name":"Ada","age":36}""")));
        Assert.Null(Error(step, Text("""{"name":"Ada","age":36}""")));
        var missing = Error(step, Json("""{"name":"Ada"}"""));
        Assert.StartsWith("The form is invalid: ", missing, StringComparison.Ordinal);
        Assert.Contains("PropertyRequired", missing, StringComparison.Ordinal);
        Assert.Contains("#/age", Error(step, Json("""{"name":"Ada","age":12}""")), StringComparison.Ordinal);
        Assert.Equal("Expected a JSON object for this form; the text is not valid JSON.", Error(step, Text("name=Ada")));
        Assert.Equal("Expected a JSON object for this form, not a list.", Error(step, Json("[]")));
    }

    [Fact]
    public void Edit_ApproveUnchangedOrEdited_RecordsWhetherItChanged()
    {
        var step = new EditStep<Doc> { Prompt = _ => "Edit the draft", Value = s => s.Draft!, MaxLength = 50, Apply = (s, _) => s };

        var unchanged = Accepted(step, Text("/approve"));
        Assert.Equal("The first draft.", unchanged.GetProperty("value").GetString());
        Assert.False(unchanged.GetProperty("changed").GetBoolean());
        Assert.False(Accepted(step, Json("""{"unchanged": true}""")).GetProperty("changed").GetBoolean());
        var edited = Accepted(step, Json("""{"value": "A better draft."}"""));
        Assert.True(edited.GetProperty("changed").GetBoolean());
        Assert.Equal("The edited value must not be empty; send '/approve' to keep it unchanged.", Error(step, Text("  ")));
        Assert.Equal("The edited value must be at most 50 characters (it has 60).", Error(step, Text(new string('x', 60))));
    }

    [Fact]
    public void Edit_RejectWithReason_KeepsTheValueAndRecordsTheReason()
    {
        var step = new EditStep<Doc> { Prompt = _ => "Edit the draft", Value = s => s.Draft!, AllowReject = true, MaxReasonLength = 20, Apply = (s, _) => s };

        var typed = Accepted(step, Text("/reject  too short "));
        Assert.True(typed.GetProperty("rejected").GetBoolean());
        Assert.Equal("too short", typed.GetProperty("reason").GetString());
        Assert.Equal("The first draft.", typed.GetProperty("value").GetString());
        Assert.False(typed.GetProperty("changed").GetBoolean());
        var json = Accepted(step, Json("""{"reject": "off topic"}"""));
        Assert.Equal("off topic", json.GetProperty("reason").GetString());
        Assert.False(Accepted(step, Text("/approve")).GetProperty("rejected").GetBoolean());
        Assert.Equal("A rejection needs a reason: '/reject REASON' or {\"reject\": \"REASON\"}.", Error(step, Text("/reject")));
        Assert.Equal("A rejection needs a reason: '/reject REASON' or {\"reject\": \"REASON\"}.", Error(step, Json("""{"reject": 3}""")));
        Assert.Equal("The reason must be at most 20 characters (it has 21).", Error(step, Text("/reject " + new string('r', 21))));
        Assert.Equal("Send the edited text, '/approve' to keep it unchanged, or '/reject REASON'; not a list.", Error(step, Json("[]")));
    }

    [Fact]
    public void Edit_RejectWhenNotAllowed_IsRefused()
    {
        var step = new EditStep<Doc> { Prompt = _ => "Edit the draft", Value = s => s.Draft!, Apply = (s, _) => s };

        Assert.Equal("This step does not accept a rejection; send the edited text, or '/approve' to keep it unchanged.", Error(step, Json("""{"reject": "no"}""")));
        Assert.Equal("This step does not accept a rejection; send the edited text, or '/approve' to keep it unchanged.", Error(step, Text("/reject no")));
    }

    [Fact]
    public void FreeResponse_AcceptsAnyNonEmptyValue()
    {
        var step = new FreeResponseStep<Doc> { Prompt = _ => "?", Apply = (s, _) => s };

        Assert.Null(Error(step, Text("anything at all")));
        Assert.Null(Error(step, Json("""{"mood":"fine"}""")));
        Assert.Equal("The answer must not be empty.", Error(step, Text("")));
        Assert.Equal("The answer must not be empty.", Error(step, Json("null")));
    }

    [Fact]
    public void CustomValidator_RunsAfterBuiltInRulesAndSeesState()
    {
        var step = new TextStep<Doc>
        {
            Prompt = _ => "?",
            Validator = (s, answer) => answer.Contains(s.Title, StringComparison.Ordinal) ? null : $"Mention '{s.Title}'.",
            Apply = (s, _) => s,
        };

        Assert.Equal("Mention 'Q3 report'.", Error(step, Text("looks good")));
        Assert.Null(Error(step, Text("the Q3 report looks good")));
        Assert.Equal("The answer must not be empty.", Error(step, Text("")));
    }
}
