using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// A whole gateway for one test class: real Postgres and Redis started for it, the api as a
/// real <c>webhook-cli run api</c> process, and workers as <c>webhook-cli run worker</c>: one
/// unless a subclass asks for another number. A test class that needs other settings uses a
/// fixture derived from this one that fills <see cref="ApiSettings"/> or
/// <see cref="WorkerSettings"/> in its constructor.
/// </summary>
public class Gateway : IAsyncLifetime
{
    private readonly List<ChildProcess> _workers = [];
    private readonly int _initialWorkers;
    private PostgresServer? _postgres;
    private RedisServer? _redis;
    private ChildProcess? _api;

    public Gateway()
        : this(initialWorkers: 1)
    {
    }

    protected Gateway(int initialWorkers) => _initialWorkers = initialWorkers;

    public int ApiPort { get; } = Ports.Free();

    public string ApiUrl => $"http://127.0.0.1:{ApiPort}";

    internal PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("Not started.");

    internal RedisServer Redis => _redis ?? throw new InvalidOperationException("Not started.");

    public string PostgresConnectionString => Postgres.ConnectionString("webhooks");

    public string RedisConnectionString => Redis.ConnectionString;

    /// <summary>Api settings that a test class wants, as environment variables.</summary>
    public Dictionary<string, string?> ApiSettings { get; } = [];

    /// <summary>Worker settings that a test class wants; applied to every worker it starts.</summary>
    public Dictionary<string, string?> WorkerSettings { get; } = [];

    /// <summary>What the api process printed so far.</summary>
    public string ApiOutput => _api?.Output ?? "";

    /// <summary>What every worker process printed so far, one after another.</summary>
    public string WorkerOutput => string.Concat(_workers.Select(worker => worker.Output));

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _redis = await RedisServer.StartAsync();
        await StartApiAsync();
        for (var i = 0; i < _initialWorkers; i++)
        {
            await StartWorkerAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    public async Task StartApiAsync()
    {
        var environment = ProcessEnvironment();
        foreach (var (name, value) in ApiSettings)
        {
            environment[name] = value;
        }

        _api = ChildProcess.Start(
            "dotnet",
            [GatewayPaths.CliAssembly, "run", "api", "--urls", ApiUrl],
            environment);

        using var http = new HttpClient();
        await Eventually.TrueAsync(
            async () => (await http.GetAsync($"{ApiUrl}/alive")).IsSuccessStatusCode,
            $"the api to start:\n{_api.Output}");
    }

    public Task StopApiAsync() => _api?.StopAsync(TimeSpan.FromSeconds(30)) ?? Task.CompletedTask;

    internal async Task<ChildProcess> StartWorkerAsync(IDictionary<string, string?>? settings = null)
    {
        var environment = ProcessEnvironment();
        foreach (var (name, value) in WorkerSettings)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var worker = ChildProcess.Start("dotnet", [GatewayPaths.CliAssembly, "run", "worker"], environment);
        _workers.Add(worker);
        await Eventually.TrueAsync(
            () => Task.FromResult(worker.Output.Contains("reading the delivery stream", StringComparison.Ordinal) || worker.HasExited),
            $"a worker to start:\n{worker.Output}");

        return worker.HasExited ? throw new InvalidOperationException($"The worker exited:\n{worker.Output}") : worker;
    }

    /// <summary>Runs <c>webhook-cli</c> with the given arguments against this gateway's api.</summary>
    public Task<CliResult> CliAsync(params string[] arguments) => CliAsync(new Dictionary<string, string?>(), arguments);

    /// <summary>
    /// Runs <c>webhook-cli</c> as <see cref="CliAsync(string[])"/> does, with this gateway's
    /// connection strings and <paramref name="environment"/> on top, as a process it starts would see them.
    /// </summary>
    public async Task<CliResult> CliAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(GatewayPaths.CliAssembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in ProcessEnvironment().Concat(environment))
        {
            info.Environment[name] = value;
        }

        info.Environment["WEBHOOK_API_URL"] = ApiUrl;
        info.Environment.Remove("WEBHOOK_ADMIN_TOKEN");

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Adds a source named <paramref name="name"/> and one target of the same name that receives
    /// its messages at <paramref name="targetUrl"/>, with <paramref name="targetOptions"/> added
    /// to <c>target add</c>; answers the source's URL.
    /// </summary>
    public async Task<string> AddSourceAndTargetAsync(string name, string targetUrl, params string[] targetOptions)
    {
        var source = await CliAsync("source", "add", "--name", name);
        Assert.True(source.ExitCode == 0, source.ToString());

        var target = await CliAsync(["target", "add", "--name", name, "--forward-name", name, "--url", targetUrl, .. targetOptions]);
        Assert.True(target.ExitCode == 0, target.ToString());

        return source.StandardOutput.Trim();
    }

    /// <summary>
    /// The log as the api serves it to <c>webhook-cli log</c>, parsed; <paramref name="query"/>
    /// as in <c>/api/log?type=...</c>.
    /// </summary>
    public async Task<List<JsonElement>> LogAsync(string query)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"{ApiUrl}/api/log?{query}");

        return JsonRecords.Parse(text);
    }

    private Dictionary<string, string?> ProcessEnvironment() => new()
    {
        ["ConnectionStrings__webhooks"] = PostgresConnectionString,
        ["ConnectionStrings__redis"] = RedisConnectionString,
        ["DOTNET_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Logging__LogLevel__Default"] = "Information",
        ["WEBHOOK_ADMIN_TOKEN"] = null,
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
        ["Api__PublicUrl"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{ApiPort}"),
    };
}
