using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// The books of a reliability test. Every message it sends to a source carries a marker of its
/// own; the ledger keeps the gateway's answer to each, and balances them against the requests a
/// target received: every message answered 2xx must have arrived, and copies are counted.
/// </summary>
internal sealed class DeliveryLedger(string sourceUrl)
{
    public const string MarkerHeader = "X-Ledger-Marker";

    private readonly Uri _source = new(sourceUrl);
    private readonly ConcurrentDictionary<string, HttpResponseMessage> _answers = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _sentAt = new();
    private int _next;

    /// <summary>Markers of the messages the gateway answered 2xx, so stored.</summary>
    public IReadOnlyList<string> Acknowledged =>
        [.. _answers.Where(answer => answer.Value.IsSuccessStatusCode).Select(answer => answer.Key).Order(StringComparer.Ordinal)];

    /// <summary>The gateway's answers, in the order the messages were sent.</summary>
    public IReadOnlyList<HttpResponseMessage> Answers =>
        [.. _answers.OrderBy(answer => answer.Key, StringComparer.Ordinal).Select(answer => answer.Value)];

    /// <summary>Sends the next message as a source would, with basic credentials from the source's URL.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpClient http)
    {
        var marker = Interlocked.Increment(ref _next).ToString("D4", CultureInfo.InvariantCulture);
        var url = _source.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent($$"""{"marker": "{{marker}}"}""", new MediaTypeHeaderValue("application/json")),
        };
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(_source.UserInfo));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        request.Headers.Add(MarkerHeader, marker);

        _sentAt[marker] = DateTimeOffset.UtcNow;
        var response = await http.SendAsync(request);
        _answers[marker] = response;

        return response;
    }

    /// <summary>
    /// Sends <paramref name="count"/> messages at once over at most <paramref name="connections"/>
    /// connections, so that they reach the gateway together.
    /// </summary>
    public async Task SendTogetherAsync(int count, int connections)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections });
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => SendAsync(http)));
    }

    /// <summary>How long after it was sent a request's message arrived at its target.</summary>
    public TimeSpan Latency(ReceivedRequest request) =>
        request.ReceivedAt - _sentAt[request.Header(MarkerHeader) ?? throw new ArgumentException("The request carries no marker.")];

    /// <summary>How many times each acknowledged message arrived at a target.</summary>
    public Dictionary<string, int> Count(IEnumerable<ReceivedRequest> received)
    {
        var copies = Acknowledged.ToDictionary(marker => marker, _ => 0, StringComparer.Ordinal);
        foreach (var request in received)
        {
            if (request.Header(MarkerHeader) is { } marker && copies.ContainsKey(marker))
            {
                copies[marker]++;
            }
        }

        return copies;
    }

    /// <summary>True once every acknowledged message arrived at least <paramref name="atLeast"/> times.</summary>
    public bool AllArrived(IEnumerable<ReceivedRequest> received, int atLeast = 1) =>
        Count(received).Values.All(copies => copies >= atLeast);

    /// <summary>
    /// Asserts that no acknowledged message is lost (each arrived at least <paramref name="atLeast"/>
    /// times) and that copies stay within bounds: no message arrived more than
    /// <paramref name="mostCopiesEach"/> times, and all of them together brought no more than
    /// <paramref name="mostDuplicates"/> copies beyond <paramref name="atLeast"/> each.
    /// Answers a line for the test output.
    /// </summary>
    public string AssertBalanced(IEnumerable<ReceivedRequest> received, int atLeast, int mostCopiesEach, int mostDuplicates)
    {
        var copies = Count(received);
        var lost = copies.Where(pair => pair.Value < atLeast).Select(pair => pair.Key).ToList();
        var duplicates = copies.Values.Sum(count => Math.Max(0, count - atLeast));
        var summary = $"acknowledged {copies.Count} of {_answers.Count} sent, lost {lost.Count}, "
            + $"duplicates {duplicates}, most copies of one {copies.Values.DefaultIfEmpty(0).Max()}";

        Assert.True(copies.Count > 0, "The ledger holds no acknowledged message.");
        Assert.True(lost.Count == 0, $"Lost: {string.Join(", ", lost)} ({summary}).");
        Assert.True(
            copies.Values.All(count => count <= mostCopiesEach),
            $"A message arrived more than {mostCopiesEach} times ({summary}).");
        Assert.True(duplicates <= mostDuplicates, $"More than {mostDuplicates} duplicates ({summary}).");

        return summary;
    }
}
