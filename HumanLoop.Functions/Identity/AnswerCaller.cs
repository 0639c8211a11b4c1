using System.Security.Cryptography;
using System.Text;
using HumanLoop.Functions.Http;

namespace HumanLoop.Functions.Identity;

/// <summary>
/// Who is answering: a system (an API key, or any caller of an open API) that answers as the respondent it names, or a
/// person signed in (bearer token, cookie) who answers as themselves and only what is assigned to them.
/// </summary>
/// <param name="Id">The caller's stable id, which rate limits and idempotency keys are partitioned by: <c>key:HASH</c>, <c>user:NAME</c> or <c>anonymous:ADDRESS</c>.</param>
/// <param name="Person">The person, or null for a system.</param>
/// <param name="IsUnnamedPerson">A person whose sign-in names no user (their answers are refused).</param>
internal sealed record AnswerCaller(string Id, Reviewer? Person, bool IsUnnamedPerson = false)
{
    /// <summary>The caller of a request, from the principal its authentication produced.</summary>
    /// <param name="context">The request.</param>
    public static AnswerCaller From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (context.PresentedKey() is { } key)
        {
            return new AnswerCaller("key:" + KeyId(key), null);
        }

        if (user.Identity?.IsAuthenticated == true)
        {
            return Reviewer.From(user) is { } person
                ? new AnswerCaller(person.Respondent, person)
                : new AnswerCaller("unnamed", null, IsUnnamedPerson: true);
        }

        // An open API (no keys set) or the Functions host, which checked the function key itself.
        return new AnswerCaller("anonymous:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"), null);
    }

    /// <summary>Whether the caller is a person (answers only as themselves, and only what is assigned to them).</summary>
    public bool IsPerson => Person is not null || IsUnnamedPerson;

    /// <summary>A key's id: the first 12 hex digits of its SHA-256, safe to log and to store.</summary>
    /// <param name="key">The key.</param>
    public static string KeyId(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
}
