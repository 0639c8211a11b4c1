using System.Runtime.InteropServices;

namespace HumanLoop.Durable.Azurite;

/// <summary>Sends SIGTERM so Azurite can save its data and close; .NET's Process.Kill only sends SIGKILL.</summary>
internal static class PosixSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks a process to terminate; returns <see langword="false"/> on Windows or when the signal could not be sent.</summary>
    public static bool TryTerminate(int processId)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            return Kill(processId, SigTerm) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport rather than LibraryImport: both arguments are blittable, and it needs no unsafe code.
    [DllImport("libc", EntryPoint = "kill")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
