namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>Where the built <c>webhook-cli</c> is, so that tests run it as a real process.</summary>
internal static class GatewayPaths
{
    public static string CliAssembly { get; } = FindCliAssembly();

    private static string FindCliAssembly()
    {
        // The test assembly sits in tests/<project>/bin/<configuration>/<framework>/; the CLI is
        // built by the project reference into the same configuration and framework under src/.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "WebhookEnterprise.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("The repository root (WebhookEnterprise.sln) is not above the test output.");
        }

        var path = Path.Combine(root.FullName, "src", "WebhookEnterprise.Cli", "bin", configuration, framework, "WebhookEnterprise.Cli.dll");

        return File.Exists(path) ? path : throw new FileNotFoundException("The CLI is not built.", path);
    }
}
