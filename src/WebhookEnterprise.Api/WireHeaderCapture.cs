using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace WebhookEnterprise.Api;

/// <summary>
/// Gives ingress the header lines of plaintext HTTP/1.1 requests as they were on the wire
/// (<see cref="WireHeaders"/>): connection middleware follows each connection with an
/// <see cref="Http1HeadParser"/>, and request middleware pairs each request with its head,
/// checked against what the server parsed.
/// </summary>
public static class WireHeaderCapture
{
    /// <summary>Connection middleware that follows each connection with an <see cref="Http1HeadParser"/>.</summary>
    public static ConnectionDelegate Capture(ConnectionDelegate next) => async connection =>
    {
        var parser = new Http1HeadParser();
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(new ObservedPipeReader(transport.Input, parser), transport.Output);
        connection.Features.Set(parser);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    /// <summary>
    /// Request middleware that hands each request the head the parser read for it. Every
    /// request takes one, in order, so that heads and requests stay paired on a connection.
    /// </summary>
    public static IApplicationBuilder UseWireHeaderCapture(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Features.Get<Http1HeadParser>() is { Stopped: false } parser)
            {
                if (parser.TryTake(out var headers) && SameAsServer(headers, context.Request.Headers))
                {
                    context.Features.Set(new WireHeaders(headers));
                }
                else
                {
                    // Out of step with the server: the server's view is used from now on.
                    parser.Stop();
                }
            }

            return next(context);
        });

    /// <summary>Whether the lines hold exactly the values the server parsed, name by name, in order.</summary>
    private static bool SameAsServer(IReadOnlyList<KeyValuePair<string, string>> lines, IHeaderDictionary server)
    {
        var count = 0;
        foreach (var (_, values) in server)
        {
            count += values.Count;
        }

        if (count != lines.Count)
        {
            return false;
        }

        foreach (var (name, values) in server)
        {
            var index = 0;
            foreach (var (lineName, value) in lines)
            {
                if (!string.Equals(lineName, name, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (index >= values.Count || !string.Equals(values[index], value, StringComparison.Ordinal))
                {
                    return false;
                }

                index++;
            }

            if (index != values.Count)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes every read through, feeding the parser each byte once, the first time it is read.</summary>
    private sealed class ObservedPipeReader(PipeReader inner, Http1HeadParser parser) : PipeReader
    {
        private ReadOnlySequence<byte> _buffer;
        private long _bufferStart;
        private long _fed;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            Observe(result.Buffer);

            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Observe(result.Buffer);

            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            _bufferStart += _buffer.Slice(_buffer.Start, consumed).Length;
            _buffer = default;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        private void Observe(ReadOnlySequence<byte> buffer)
        {
            _buffer = buffer;
            var end = _bufferStart + buffer.Length;
            if (end > _fed && !parser.Stopped)
            {
                parser.Feed(buffer.Slice(_fed - _bufferStart));
            }

            _fed = Math.Max(_fed, end);
        }
    }
}
