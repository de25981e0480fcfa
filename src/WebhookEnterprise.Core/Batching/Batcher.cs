using System.Diagnostics;
using System.Threading.Channels;
using WebhookEnterprise.Core.Telemetry;

namespace WebhookEnterprise.Core.Batching;

/// <summary>
/// Runs the items that callers hand in concurrently as batches: up to
/// <see cref="BatcherSettings.Writers"/> batches run at once, and items that arrive while all of
/// them run wait and go together in the next one. An item never waits for a timer: when a writer
/// is free it goes at once, alone, so batching costs no latency when there is little to batch and
/// saves round trips and commits when there is much. Each caller's task ends with its own item's
/// result, or with what its item failed with: a batch that fails for any reason but an outage of
/// the store is run again item by item. A batch runs in the trace of its first item; the spans
/// of the others link to that one and say how many items went together.
/// </summary>
/// <typeparam name="TItem">What a caller hands in.</typeparam>
/// <typeparam name="TResult">What the caller gets back once its batch has run.</typeparam>
public sealed class Batcher<TItem, TResult>
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions
    {
        SingleWriter = false,
        SingleReader = false,
    });

    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _run;
    private readonly BatcherSettings _settings;
    private readonly Func<Exception, bool> _isOutage;
    private readonly Func<TItem, long> _size;
    private readonly Task[] _writers;

    /// <param name="settings">How many batches run at once and how large one may be.</param>
    /// <param name="run">
    /// Runs one batch and answers one result per item, in the items' order. It must be safe to
    /// run again for items of a batch that failed part way, since those are then run one by one.
    /// </param>
    /// <param name="isOutage">
    /// Whether a failure is that of the store rather than of an item (a server that cannot be
    /// reached, say): such a failure fails the whole batch at once, where any other runs each
    /// item again alone.
    /// </param>
    /// <param name="size">
    /// The size of an item, counted against <see cref="BatcherSettings.MaxBatchSize"/>; by
    /// default every item counts one.
    /// </param>
    public Batcher(
        BatcherSettings settings,
        Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> run,
        Func<Exception, bool> isOutage,
        Func<TItem, long>? size = null)
    {
        _settings = settings;
        _run = run;
        _isOutage = isOutage;
        _size = size ?? (static _ => 1);

        // The writers run outside whatever trace the code that made this batcher was in.
        using (ExecutionContext.SuppressFlow())
        {
            _writers = [.. Enumerable.Range(0, settings.Writers).Select(_ => Task.Run(WriteAsync, CancellationToken.None))];
        }
    }

    /// <summary>
    /// Hands <paramref name="item"/> in. The task ends once its batch has run; null when the
    /// batcher is completed and takes no more items.
    /// </summary>
    public Task<TResult>? TryAdd(TItem item)
    {
        var pending = new Pending(item, Activity.Current);

        return _pending.Writer.TryWrite(pending) ? pending.Done.Task : null;
    }

    /// <summary>Takes no more items and waits until the batches of those taken have run.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers).WaitAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(_settings.MaxBatchCount);
        var items = new List<TItem>(_settings.MaxBatchCount);
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            long size = 0;
            while (batch.Count < _settings.MaxBatchCount && size < _settings.MaxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                items.Add(pending.Item);
                size += _size(pending.Item);
            }

            if (batch.Count > 0)
            {
                await RunAsync(batch, items);
                batch.Clear();
                items.Clear();
            }
        }
    }

    private async Task RunAsync(List<Pending> batch, List<TItem> items)
    {
        var first = batch[0].Activity;
        Activity.Current = first;
        if (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                pending.Activity?.SetTag(GatewayTelemetry.Tags.BatchSize, batch.Count);
                if (first is not null && pending.Activity is { } activity && activity != first)
                {
                    activity.AddLink(new ActivityLink(first.Context));
                }
            }
        }

        try
        {
            var results = await _run(items);
            if (results.Count != batch.Count)
            {
                throw new InvalidOperationException(
                    $"A batch of {batch.Count} items answered {results.Count} results.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(results[i]);
            }
        }
        catch (Exception e) when (batch.Count == 1 || _isOutage(e))
        {
            foreach (var pending in batch)
            {
                pending.Done.TrySetException(e);
            }
        }
        catch (Exception)
        {
            // One item that cannot be run must not fail the others with it: each is run again
            // alone, and fails only with its own error.
            foreach (var pending in batch)
            {
                await RunAsync([pending], [pending.Item]);
            }
        }
    }

    private sealed class Pending(TItem item, Activity? activity)
    {
        public TItem Item { get; } = item;

        public Activity? Activity { get; } = activity;

        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>How a <see cref="Batcher{TItem, TResult}"/> gathers its items.</summary>
/// <param name="Writers">How many batches may run at once.</param>
/// <param name="MaxBatchCount">The most items in one batch.</param>
/// <param name="MaxBatchSize">
/// The most size in one batch: a batch takes no further item once its items reach this, and
/// always takes at least one.
/// </param>
public sealed record BatcherSettings(int Writers, int MaxBatchCount, long MaxBatchSize = long.MaxValue);
