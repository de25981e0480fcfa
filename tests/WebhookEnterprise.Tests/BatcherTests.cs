using WebhookEnterprise.Core.Batching;

namespace WebhookEnterprise.Tests;

/// <summary>
/// How the batcher behind ingest and the workers gathers items: at once when a writer is free,
/// together while writers are busy, each caller answered with its own result or failure.
/// </summary>
public sealed class BatcherTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Item_RunsAtOnceAlone_WhenAWriterIsFree()
    {
        var batches = new List<int>();
        var batcher = new Batcher<int, int>(new BatcherSettings(1, 100), items =>
        {
            lock (batches)
            {
                batches.Add(items.Count);
            }

            return Task.FromResult<IReadOnlyList<int>>([.. items.Select(item => item * 2)]);
        }, _ => false);

        Assert.Equal(42, await batcher.TryAdd(21)!.WaitAsync(Deadline));
        Assert.Equal(8, await batcher.TryAdd(4)!.WaitAsync(Deadline));
        Assert.Equal([1, 1], batches);
    }

    [Fact]
    public async Task ItemsArrivingWhileTheWriterIsBusy_GoTogetherInTheNextBatch_UpToTheLimit()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<int[]>();
        var batcher = new Batcher<int, string>(new BatcherSettings(1, 3), async items =>
        {
            lock (batches)
            {
                batches.Add([.. items]);
            }

            started.TrySetResult();
            await release.Task;

            return [.. items.Select(item => $"#{item}")];
        }, _ => false);

        var first = batcher.TryAdd(0)!;
        await started.Task.WaitAsync(Deadline);
        var waiting = Enumerable.Range(1, 5).Select(item => batcher.TryAdd(item)!).ToArray();
        release.SetResult();

        Assert.Equal("#0", await first.WaitAsync(Deadline));
        var results = await Task.WhenAll(waiting).WaitAsync(Deadline);
        Assert.Equal(["#1", "#2", "#3", "#4", "#5"], results);
        Assert.Equal([[0], [1, 2, 3], [4, 5]], batches);
    }

    [Fact]
    public async Task BatchSize_StopsTakingItemsOnceReached_ButTakesAtLeastOne()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<int[]>();
        var batcher = new Batcher<int, int>(new BatcherSettings(1, 100, MaxBatchSize: 10), async items =>
        {
            lock (batches)
            {
                batches.Add([.. items]);
            }

            started.TrySetResult();
            await release.Task;

            return items;
        }, _ => false, size: item => item);

        var first = batcher.TryAdd(1)!;
        await started.Task.WaitAsync(Deadline);
        var waiting = new[] { 4, 5, 3, 50, 2 }.Select(item => batcher.TryAdd(item)!).ToArray();
        release.SetResult();
        await Task.WhenAll(waiting.Append(first)).WaitAsync(Deadline);

        Assert.Equal([[1], [4, 5, 3], [50], [2]], batches);
    }

    [Fact]
    public async Task FailedBatch_IsRunAgainItemByItem_SoOnlyTheBadItemFails()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new Batcher<int, int>(new BatcherSettings(1, 100), async items =>
        {
            started.TrySetResult();
            await release.Task;

            return items.Contains(13) ? throw new FormatException("13 cannot be run.") : items;
        }, _ => false);

        var first = batcher.TryAdd(0)!;
        await started.Task.WaitAsync(Deadline);
        var good = new[] { 1, 2 }.Select(item => batcher.TryAdd(item)!).ToArray();
        var bad = batcher.TryAdd(13)!;
        release.SetResult();

        var goodResults = await Task.WhenAll(good).WaitAsync(Deadline);
        Assert.Equal([1, 2], goodResults);
        var failure = await Assert.ThrowsAsync<FormatException>(() => bad.WaitAsync(Deadline));
        Assert.Equal("13 cannot be run.", failure.Message);
        Assert.Equal(0, await first.WaitAsync(Deadline));
    }

    [Fact]
    public async Task Outage_FailsTheWholeBatchAtOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var batcher = new Batcher<int, int>(new BatcherSettings(1, 100), async items =>
        {
            Interlocked.Increment(ref runs);
            started.TrySetResult();
            await release.Task;

            return items[0] == 0 ? items : throw new TimeoutException("The store did not answer.");
        }, e => e is TimeoutException);

        var first = batcher.TryAdd(0)!;
        await started.Task.WaitAsync(Deadline);
        var waiting = Enumerable.Range(1, 4).Select(item => batcher.TryAdd(item)!).ToArray();
        release.SetResult();
        await first.WaitAsync(Deadline);

        foreach (var item in waiting)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => item.WaitAsync(Deadline));
        }

        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task Completed_TakesNoMoreItems_AfterFinishingThoseTaken()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new Batcher<int, int>(new BatcherSettings(2, 100), async items =>
        {
            await release.Task;

            return items;
        }, _ => false);

        var taken = batcher.TryAdd(7)!;
        var completing = batcher.CompleteAsync(CancellationToken.None);

        Assert.Null(batcher.TryAdd(8));
        Assert.False(completing.IsCompleted);
        release.SetResult();
        await completing.WaitAsync(Deadline);
        Assert.Equal(7, await taken);
    }
}
