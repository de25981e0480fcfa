using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace WebhookEnterprise.Api;

/// <summary>
/// Follows the bytes of one HTTP/1.1 connection as the server reads them, and keeps the header
/// lines of each request as they were on the wire: names as spelled, in order, a repeated
/// name as separate lines. It knows only as much of HTTP as it needs to find where one
/// request ends and the next begins (Content-Length and chunked bodies). On anything it does
/// not follow (TLS, HTTP/2, an upgrade, a malformed message) it stops for good, and requests
/// fall back to the server's own view of their headers; the server rejects malformed
/// messages itself.
/// </summary>
public sealed class Http1HeadParser
{
    // Above the server's own limits on the request line and headers, which reject a longer head.
    private const int MaxHeadBytes = 64 * 1024;

    private const int MaxLineBytes = 8 * 1024;

    private static readonly UTF8Encoding StrictUtf8 =
        new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly ConcurrentQueue<IReadOnlyList<KeyValuePair<string, string>>> _heads = new();
    private State _state = State.Head;
    private long _remaining;
    private bool _started;

    private enum State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        Stopped,
    }

    public bool Stopped => _state == State.Stopped;

    /// <summary>The header lines of the next request on the connection, in the order requests came.</summary>
    public bool TryTake(out IReadOnlyList<KeyValuePair<string, string>> headers) => _heads.TryDequeue(out headers!);

    /// <summary>Stops following the connection; what is queued is dropped.</summary>
    public void Stop()
    {
        _state = State.Stopped;
        _heads.Clear();
    }

    /// <summary>Takes bytes that follow the ones fed before.</summary>
    public void Feed(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            var data = segment.Span;
            while (!data.IsEmpty && _state != State.Stopped)
            {
                data = _state switch
                {
                    State.Head => FeedHead(data),
                    State.Body or State.ChunkData or State.ChunkEnd => Skip(data),
                    _ => FeedLine(data),
                };
            }
        }
    }

    private ReadOnlySpan<byte> Skip(ReadOnlySpan<byte> data)
    {
        var take = (int)Math.Min(_remaining, data.Length);
        _remaining -= take;
        if (_remaining == 0)
        {
            (_state, _remaining) = _state switch
            {
                State.ChunkData => (State.ChunkEnd, 2L),
                State.ChunkEnd => (State.ChunkSize, 0L),
                _ => (State.Head, 0L),
            };
        }

        return data[take..];
    }

    private ReadOnlySpan<byte> FeedHead(ReadOnlySpan<byte> data)
    {
        if (!_started)
        {
            // A TLS handshake or anything else that is not an HTTP/1 request line.
            _started = true;
            if (!char.IsAsciiLetterUpper((char)data[0]) && data[0] is not ((byte)'\r' or (byte)'\n'))
            {
                Stop();

                return default;
            }
        }

        var searchFrom = Math.Max(0, _pending.WrittenCount - 3);
        _pending.Write(data);
        var end = _pending.WrittenSpan[searchFrom..].IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (_pending.WrittenCount > MaxHeadBytes)
            {
                Stop();
            }

            return default;
        }

        var headLength = searchFrom + end + 4;
        var rest = data[(data.Length - (_pending.WrittenCount - headLength))..];
        ReadHead(_pending.WrittenSpan[..headLength]);
        _pending.ResetWrittenCount();

        return rest;
    }

    /// <summary>Chunk-size lines and trailer lines, up to and including their line feed.</summary>
    private ReadOnlySpan<byte> FeedLine(ReadOnlySpan<byte> data)
    {
        var lineFeed = data.IndexOf((byte)'\n');
        _pending.Write(lineFeed < 0 ? data : data[..(lineFeed + 1)]);
        if (lineFeed < 0)
        {
            if (_pending.WrittenCount > MaxLineBytes)
            {
                Stop();
            }

            return default;
        }

        var line = _pending.WrittenSpan.TrimEnd("\r\n"u8);
        if (_state == State.Trailers)
        {
            if (line.IsEmpty)
            {
                _state = State.Head;
            }
        }
        else
        {
            var sizeEnd = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
            if (!Utf8Parser.TryParse(sizeEnd < 0 ? line : line[..sizeEnd], out long size, out var consumed, 'x')
                || consumed != (sizeEnd < 0 ? line.Length : sizeEnd))
            {
                Stop();

                return default;
            }

            (_state, _remaining) = size == 0 ? (State.Trailers, 0L) : (State.ChunkData, size);
        }

        _pending.ResetWrittenCount();

        return data[(lineFeed + 1)..];
    }

    private void ReadHead(ReadOnlySpan<byte> head)
    {
        var lines = head.TrimStart("\r\n"u8);
        var requestLineEnd = lines.IndexOf("\r\n"u8);
        var requestLine = lines[..requestLineEnd];
        var http1 = requestLine.EndsWith(" HTTP/1.1"u8) || requestLine.EndsWith(" HTTP/1.0"u8);
        if (!http1 || requestLine.StartsWith("CONNECT "u8))
        {
            Stop();

            return;
        }

        var headers = new List<KeyValuePair<string, string>>();
        long? contentLength = null;
        var chunked = false;
        var upgrade = false;
        var rest = lines[(requestLineEnd + 2)..];
        while (rest.Length > 2)
        {
            var lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];

            var colon = line.IndexOf((byte)':');
            if (colon <= 0
                || !TryDecode(line[..colon], out var name)
                || !TryDecode(line[(colon + 1)..].Trim(" \t"u8), out var value))
            {
                Stop();

                return;
            }

            headers.Add(new(name, value));
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                var valid = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length);
                contentLength = valid ? length : -1;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.TrimEnd().EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = true;
            }
        }

        if (contentLength < 0 || upgrade)
        {
            // What follows is not for this parser: a body it cannot frame, or another protocol.
            Stop();

            return;
        }

        _heads.Enqueue(headers);
        (_state, _remaining) = chunked
            ? (State.ChunkSize, 0L)
            : contentLength > 0 ? (State.Body, contentLength.Value) : (State.Head, 0L);
    }

    private static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);

            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";

            return false;
        }
    }
}
