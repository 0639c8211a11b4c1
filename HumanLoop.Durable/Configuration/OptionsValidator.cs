using System.ComponentModel.DataAnnotations;

namespace HumanLoop.Durable.Configuration;

/// <summary>Runs the data-annotation rules of an options object and reports every problem at once.</summary>
internal static class OptionsValidator
{
    /// <summary>Returns one message per broken rule, each prefixed with <paramref name="path"/> and the member name.</summary>
    public static List<string> Validate(object options, string path)
    {
        var results = new List<ValidationResult>();
        var context = new ValidationContext(options);
        if (!Validator.TryValidateObject(options, context, results, validateAllProperties: true) && options is IValidatableObject validatable)
        {
            // The validator skips an object's own rules once an attribute has failed; every problem is wanted at once.
            results.AddRange(validatable.Validate(context).Where(r => !results.Any(x => x.ErrorMessage == r.ErrorMessage)));
        }

        var problems = new List<string>(results.Count);
        foreach (var result in results)
        {
            var members = result.MemberNames.ToList();
            var where = members.Count == 0
                ? path
                : string.Join(", ", members.Select(m => path.Length == 0 ? ToCamelCase(m) : $"{path}.{ToCamelCase(m)}"));
            problems.Add($"{where}: {result.ErrorMessage}");
        }

        return problems;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every broken rule.</summary>
    public static void ThrowIfInvalid(object options, string paramName)
    {
        var problems = Validate(options, string.Empty);
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"{options.GetType().Name} is invalid:{Environment.NewLine}  - " +
                string.Join(Environment.NewLine + "  - ", problems),
                paramName);
        }
    }

    internal static string ToCamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
