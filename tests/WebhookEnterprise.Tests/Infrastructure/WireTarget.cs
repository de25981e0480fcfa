using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>A request as it crossed the wire: the request line and header lines exactly as sent.</summary>
public sealed record WireRequest(string RequestLine, IReadOnlyList<string> HeaderLines, byte[] Body);

/// <summary>
/// A target on loopback that reads requests off the socket itself, so that tests see header
/// lines with their spelling, order and repetition as sent, which a server framework would
/// normalise. It answers <c>200 OK</c> and closes, or resets the connection when told to.
/// </summary>
public sealed class WireTarget : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<WireRequest> _received = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private WireTarget(bool reset)
    {
        _listener.Start();
        _accepting = AcceptAsync(reset);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<WireRequest> Received => [.. _received];

    /// <summary>A target that answers every request with <c>200 OK</c>.</summary>
    public static WireTarget Answering() => new(reset: false);

    /// <summary>A target that reads each request and then resets the connection instead of answering.</summary>
    public static WireTarget Resetting() => new(reset: true);

    public string Url(string path = "/webhook") => $"http://127.0.0.1:{Port}{path}";

    public Task<IReadOnlyList<WireRequest>> WaitForAsync(int count) =>
        Eventually.GetAsync<IReadOnlyList<WireRequest>>(
            () => Task.FromResult<IReadOnlyList<WireRequest>?>(_received.Count >= count ? Received : null),
            $"{count} requests at the wire target (got {_received.Count})");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped while waiting for a connection.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(bool reset)
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client, reset);
        }
    }

    private async Task ServeAsync(TcpClient client, bool reset)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                var lines = head.Split("\r\n");
                var headerLines = lines[1..];
                var length = headerLines
                    .Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(line => int.Parse(line["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture))
                    .FirstOrDefault();
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, _stop.Token);
                _received.Enqueue(new WireRequest(lines[0], headerLines, body));

                if (reset)
                {
                    client.Client.LingerState = new LingerOption(true, 0);

                    return;
                }

                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"u8.ToArray(), _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
            {
                // The gateway hung up or the target is stopping.
            }
        }
    }

    /// <summary>Reads up to the blank line that ends the head and answers the head without it.</summary>
    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                throw new EndOfStreamException();
            }

            head.Add(one[0]);
        }

        return Encoding.UTF8.GetString([.. head])[..^4];
    }
}
