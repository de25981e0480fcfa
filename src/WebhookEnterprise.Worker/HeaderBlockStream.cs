using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Http;
using System.Text;

namespace WebhookEnterprise.Worker;

/// <summary>
/// The plaintext side of a connection to a target (under TLS, if any), which writes each
/// request's header lines exactly as the sender sent them. HttpClient cannot: it joins the
/// values of a repeated name into one line and writes content headers after all others. So
/// <see cref="TargetClient"/> puts the message's header lines, base64-encoded, in a placeholder
/// header, and this stream replaces that line with the lines it holds as the request head goes
/// out. Bodies pass through untouched and uncopied; responses are not looked at.
/// </summary>
/// <remarks>
/// Request bodies from the gateway always have a <c>Content-Length</c> (or none at all), so the
/// end of each body, and with it the start of the next head on a reused connection, is known.
/// </remarks>
public sealed class HeaderBlockStream(Stream inner) : Stream
{
    /// <summary>The name of the placeholder header; it never reaches the wire.</summary>
    public const string PlaceholderHeader = "X-Webhook-Header-Block";

    // A request head is the gateway's own; this only stops a runaway buffer.
    private const int MaxHeadBytes = 1024 * 1024;

    private static readonly byte[] Placeholder = Encoding.ASCII.GetBytes(PlaceholderHeader + ": ");

    private readonly MemoryStream _head = new();
    private readonly List<ReadOnlyMemory<byte>> _pending = [];
    private long _bodyRemaining;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>The <see cref="SocketsHttpHandler.PlaintextStreamFilter"/> putting this stream on connections.</summary>
    public static ValueTask<Stream> FilterAsync(
        SocketsHttpPlaintextStreamFilterContext context,
        CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new HeaderBlockStream(context.PlaintextStream));

    /// <summary>Encodes header lines as the value of the placeholder header.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var lines = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            lines.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Convert.ToBase64String(Encoding.UTF8.GetBytes(lines.ToString()));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Rewrite(buffer);
        try
        {
            foreach (var segment in _pending)
            {
                await inner.WriteAsync(segment, cancellationToken);
            }
        }
        finally
        {
            _pending.Clear();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Rewrite(buffer.AsMemory(offset, count));
        try
        {
            foreach (var segment in _pending)
            {
                inner.Write(segment.Span);
            }
        }
        finally
        {
            _pending.Clear();
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _head.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Splits what is written into body bytes, passed on as they are, and heads, rewritten whole.</summary>
    private void Rewrite(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_bodyRemaining > 0)
            {
                var take = (int)Math.Min(_bodyRemaining, data.Length);
                _pending.Add(data[..take]);
                _bodyRemaining -= take;
                data = data[take..];

                continue;
            }

            var searchFrom = (int)Math.Max(0, _head.Length - 3);
            _head.Write(data.Span);
            var collected = _head.GetBuffer().AsSpan(0, (int)_head.Length);
            var end = collected[searchFrom..].IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (_head.Length > MaxHeadBytes)
                {
                    throw new InvalidOperationException("A request head to a target has no end.");
                }

                return;
            }

            var headLength = searchFrom + end + 4;
            var beyond = collected.Length - headLength;
            _pending.Add(RewriteHead(collected[..headLength]));
            data = data[(data.Length - beyond)..];
            _head.SetLength(0);
        }
    }

    /// <summary>The head with the placeholder line replaced by the lines it holds; notes the body's length.</summary>
    private byte[] RewriteHead(ReadOnlySpan<byte> head)
    {
        var output = new MemoryStream(head.Length * 2);
        var rest = head;
        while (rest.Length > 0)
        {
            var lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];

            if (line.StartsWith(Placeholder))
            {
                var encoded = line[Placeholder.Length..];
                var lines = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
                if (Base64.DecodeFromUtf8(encoded, lines, out _, out var written) != OperationStatus.Done)
                {
                    throw new InvalidOperationException("The placeholder header does not hold base64.");
                }

                output.Write(lines, 0, written);

                continue;
            }

            if (IsHeader(line, "Content-Length"u8))
            {
                var value = Encoding.ASCII.GetString(line[(line.IndexOf((byte)':') + 1)..]);
                _bodyRemaining = long.Parse(value.Trim(), CultureInfo.InvariantCulture);
            }
            else if (IsHeader(line, "Transfer-Encoding"u8))
            {
                throw new InvalidOperationException("The gateway never sends a chunked request body to a target.");
            }

            output.Write(line);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    private static bool IsHeader(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) =>
        line.Length > name.Length
            && line[name.Length] == (byte)':'
            && Ascii.EqualsIgnoreCase(line[..name.Length], name);
}
