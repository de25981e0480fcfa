using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace WebhookEnterprise.AppHost;

/// <summary>Tells whether a container runtime is there to run Postgres and Redis containers.</summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether <c>docker info</c> (or that of the runtime named by <c>ASPIRE_CONTAINER_RUNTIME</c>)
    /// succeeds within two seconds. A client whose engine is not running fails or hangs here.
    /// </summary>
    public static bool Answers(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } named ? named : "docker";
        var start = new ProcessStartInfo(runtime, "info")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            // Read and dropped, so that a long answer cannot block the probe on a full pipe.
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(ProbeTimeout))
            {
                process.Kill(entireProcessTree: true);

                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            // No such program on this machine.
            return false;
        }
    }
}
