using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>A request as a target received it.</summary>
public sealed record ReceivedRequest(
    string Method,
    string RawTarget,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body,
    DateTimeOffset ReceivedAt)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> HeaderValues(string name) =>
        Headers.Where(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Select(header => header.Value);
}

/// <summary>
/// A real HTTP target on loopback that records every request and answers as the test says
/// (200 "OK" unless told otherwise).
/// </summary>
public sealed class RecordingTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private RecordingTarget(WebApplication app, IPAddress address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Decides the answer to each request; may await to hold a request.</summary>
    public Func<ReceivedRequest, HttpContext, Task> Respond { get; set; } = static (_, context) =>
    {
        context.Response.StatusCode = StatusCodes.Status200OK;

        return context.Response.WriteAsync("OK");
    };

    public IPAddress Address { get; }

    public int Port { get; private set; }

    public string Url(string path = "/webhook") => $"http://{Address}:{Port}{path}";

    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    /// <summary>Starts a target on <paramref name="address"/> (127.0.0.1 unless given), on a port of its own.</summary>
    public static async Task<RecordingTarget> StartAsync(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, 0);
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
        });

        var app = builder.Build();
        var target = new RecordingTarget(app, address);
        app.Run(target.HandleAsync);
        await app.StartAsync();
        target.Port = new Uri(app.Urls.First()).Port;

        return target;
    }

    public Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, TimeSpan? timeout = null) =>
        Eventually.GetAsync<IReadOnlyList<ReceivedRequest>>(
            () => Task.FromResult<IReadOnlyList<ReceivedRequest>?>(_received.Count >= count ? Received : null),
            $"{count} requests at the target (got {_received.Count})",
            timeout);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in context.Request.Headers)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value ?? ""));
            }
        }

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var request = new ReceivedRequest(context.Request.Method, rawTarget, headers, body.ToArray(), DateTimeOffset.UtcNow);
        _received.Enqueue(request);
        await Respond(request, context);
    }
}
