namespace HumanLoop.Functions.Tests.Infrastructure;

/// <summary>Where the repository's files are, found from the test's output folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder that holds HumanLoop.sln.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HumanLoop.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("HumanLoop.sln not found above the test folder.");
    }
}
