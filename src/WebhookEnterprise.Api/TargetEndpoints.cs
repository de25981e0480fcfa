using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

/// <summary>A target as the management API takes it; durations are written like <c>30s</c>.</summary>
public sealed record TargetRequest(
    string? Name,
    string? ForwardName,
    string? Url,
    string? Timeout,
    string? RetryPolicy,
    string? RetryInterval,
    string? RetryMaxInterval,
    string? RetrySchedule,
    int? MaxAttempts);

public sealed record TargetSourceView(long Id, string Name);

public sealed record TargetView(
    string Id,
    string Name,
    TargetSourceView Source,
    string Url,
    string Timeout,
    string RetryPolicy,
    string RetryInterval,
    string RetryMaxInterval,
    string[] RetrySchedule,
    int MaxAttempts,
    string CreatedAt);

/// <summary>Management of targets: <c>/api/targets</c>.</summary>
public static class TargetEndpoints
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    private const int MaxAttemptsLimit = 100;

    public static IEndpointRouteBuilder MapTargetEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/targets").AddEndpointFilter<AdminTokenFilter>().AddEndpointFilter<SourceChangeFilter>();

        group.MapPost("/", AddAsync).WithName("AddTarget");
        group.MapGet("/", ListAsync).WithName("ListTargets");
        group.MapGet("/{idOrName}", ShowAsync).WithName("ShowTarget");
        group.MapPatch("/{idOrName}", UpdateAsync).WithName("UpdateTarget");
        group.MapDelete("/{idOrName}", RemoveAsync).WithName("RemoveTarget");

        return app;
    }

    private static async Task<Results<Created<TargetView>, ProblemHttpResult>> AddAsync(
        TargetRequest request,
        SourceRepository sources,
        TargetRepository targets,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return ProblemResults.Invalid("name", "A target needs a name.");
        }

        if (string.IsNullOrWhiteSpace(request.ForwardName))
        {
            return ProblemResults.Invalid("forward_name", "A target needs --forward-name, the name of the source it receives from.");
        }

        if (string.IsNullOrWhiteSpace(request.Url))
        {
            return ProblemResults.Invalid("url", "A target needs a URL.");
        }

        var draft = new Target(
            Guid.Empty,
            request.Name.Trim(),
            0,
            "",
            "",
            DefaultTimeout,
            Core.RetryPolicy.Default,
            DateTimeOffset.UtcNow);

        var (target, problem) = await ApplyAsync(draft, request, sources, cancellationToken);
        if (target is null)
        {
            return problem!;
        }

        try
        {
            var added = await targets.AddAsync(target.Name, target.SourceId, target.Url, target.Timeout, target.RetryPolicy, cancellationToken);

            return TypedResults.Created($"/api/targets/{Ids.Format(added.Id)}", ToView(added));
        }
        catch (ConflictException e)
        {
            return ProblemResults.Conflict(e.Field, e.Message);
        }
    }

    private static async Task<Results<Ok<TargetView[]>, ProblemHttpResult>> ListAsync(
        string? source,
        SourceRepository sources,
        TargetRepository targets,
        CancellationToken cancellationToken)
    {
        long? sourceId = null;
        if (!string.IsNullOrEmpty(source))
        {
            var found = await sources.FindAsync(source, cancellationToken);
            if (found is null)
            {
                return ProblemResults.NotFound("source", $"There is no source with the id or name '{source}'.");
            }

            sourceId = found.Id;
        }

        var all = await targets.ListAsync(sourceId, cancellationToken);

        return TypedResults.Ok(all.Select(ToView).ToArray());
    }

    private static async Task<Results<Ok<TargetView>, ProblemHttpResult>> ShowAsync(
        string idOrName,
        TargetRepository targets,
        CancellationToken cancellationToken)
    {
        var target = await targets.FindAsync(idOrName, cancellationToken);

        return target is null ? Missing(idOrName) : TypedResults.Ok(ToView(target));
    }

    private static async Task<Results<Ok<TargetView>, ProblemHttpResult>> UpdateAsync(
        string idOrName,
        TargetRequest request,
        SourceRepository sources,
        TargetRepository targets,
        CancellationToken cancellationToken)
    {
        var existing = await targets.FindAsync(idOrName, cancellationToken);
        if (existing is null)
        {
            return Missing(idOrName);
        }

        if (request.Name is not null && string.IsNullOrWhiteSpace(request.Name))
        {
            return ProblemResults.Invalid("name", "A target's name cannot be empty.");
        }

        var renamed = existing with { Name = request.Name?.Trim() ?? existing.Name };
        var (target, problem) = await ApplyAsync(renamed, request, sources, cancellationToken);
        if (target is null)
        {
            return problem!;
        }

        try
        {
            return TypedResults.Ok(ToView(await targets.UpdateAsync(target, cancellationToken)));
        }
        catch (ConflictException e)
        {
            return ProblemResults.Conflict(e.Field, e.Message);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string idOrName,
        TargetRepository targets,
        CancellationToken cancellationToken)
    {
        var target = await targets.FindAsync(idOrName, cancellationToken);
        if (target is null || !await targets.RemoveAsync(target.Id, cancellationToken))
        {
            return Missing(idOrName);
        }

        return TypedResults.NoContent();
    }

    /// <summary>Applies what the request sets to <paramref name="target"/>, refusing anything invalid.</summary>
    private static async Task<(Target? Target, ProblemHttpResult? Problem)> ApplyAsync(
        Target target,
        TargetRequest request,
        SourceRepository sources,
        CancellationToken cancellationToken)
    {
        if (request.Url is not null)
        {
            if (!TargetUrl.IsValid(request.Url, out _))
            {
                return (null, ProblemResults.Invalid("url", $"'{TargetUrl.Redact(request.Url)}' is not an absolute http or https URL."));
            }

            target = target with { Url = request.Url };
        }

        if (request.Timeout is not null)
        {
            if (!Durations.TryParse(request.Timeout, out var timeout) || timeout <= TimeSpan.Zero || timeout > MaxTimeout)
            {
                return (null, ProblemResults.Invalid("timeout", $"The timeout '{request.Timeout}' is not a duration between 1ms and 5m, such as 30s."));
            }

            target = target with { Timeout = timeout };
        }

        var (policy, problem) = ApplyPolicy(target.RetryPolicy, request);
        if (policy is null)
        {
            return (null, problem);
        }

        target = target with { RetryPolicy = policy };

        if (request.ForwardName is not null)
        {
            var source = await sources.FindAsync(request.ForwardName, cancellationToken);
            if (source is null)
            {
                return (null, ProblemResults.Invalid("forward_name", $"There is no source named '{request.ForwardName}' to forward from."));
            }

            target = target with { SourceId = source.Id, SourceName = source.Name };
        }

        return (target, null);
    }

    private static (RetryPolicy? Policy, ProblemHttpResult? Problem) ApplyPolicy(RetryPolicy policy, TargetRequest request)
    {
        if (request.RetryPolicy is not null)
        {
            if (!Core.RetryPolicy.TryParseKind(request.RetryPolicy, out var kind))
            {
                return (null, ProblemResults.Invalid("retry_policy", $"The retry policy '{request.RetryPolicy}' is not one of linear, exponential, schedule or none."));
            }

            policy = policy with { Kind = kind };
        }

        if (request.RetryInterval is not null)
        {
            if (!Durations.TryParse(request.RetryInterval, out var interval) || interval <= TimeSpan.Zero)
            {
                return (null, ProblemResults.Invalid("retry_interval", $"The retry interval '{request.RetryInterval}' is not a positive duration, such as 60s."));
            }

            policy = policy with { Interval = interval };
        }

        if (request.RetryMaxInterval is not null)
        {
            if (!Durations.TryParse(request.RetryMaxInterval, out var maxInterval) || maxInterval <= TimeSpan.Zero)
            {
                return (null, ProblemResults.Invalid("retry_max_interval", $"The longest retry interval '{request.RetryMaxInterval}' is not a positive duration, such as 1h."));
            }

            policy = policy with { MaxInterval = maxInterval };
        }

        if (request.RetrySchedule is not null)
        {
            var steps = new List<TimeSpan>();
            foreach (var step in request.RetrySchedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Durations.TryParse(step, out var delay) || delay <= TimeSpan.Zero)
                {
                    return (null, ProblemResults.Invalid("retry_schedule", $"The retry schedule step '{step}' is not a positive duration, such as 30s."));
                }

                steps.Add(delay);
            }

            policy = policy with { Schedule = steps };
        }

        if (request.MaxAttempts is { } maxAttempts)
        {
            if (maxAttempts is < 1 or > MaxAttemptsLimit)
            {
                return (null, ProblemResults.Invalid("max_attempts", $"The maximum number of attempts {maxAttempts} is not between 1 and {MaxAttemptsLimit}."));
            }

            policy = policy with { MaxAttempts = maxAttempts };
        }

        if (policy.Kind == RetryPolicyKind.Schedule && policy.Schedule.Count == 0)
        {
            return (null, ProblemResults.Invalid("retry_schedule", "The schedule policy needs --retry-schedule, such as 5s,30s,2m,10m."));
        }

        if (policy.Kind == RetryPolicyKind.Exponential && policy.MaxInterval < policy.Interval)
        {
            var detail = $"The longest retry interval {Durations.Format(policy.MaxInterval)} is shorter than the first, "
                + $"{Durations.Format(policy.Interval)}; raise --retry-max-interval.";

            return (null, ProblemResults.Invalid("retry_max_interval", detail));
        }

        return (policy, null);
    }

    private static ProblemHttpResult Missing(string idOrName) =>
        ProblemResults.NotFound("target", $"There is no target with the id or name '{idOrName}'.");

    private static TargetView ToView(Target target) => new(
        Ids.Format(target.Id),
        target.Name,
        new TargetSourceView(target.SourceId, target.SourceName),
        TargetUrl.Redact(target.Url),
        Durations.Format(target.Timeout),
        Core.RetryPolicy.Name(target.RetryPolicy.Kind),
        Durations.Format(target.RetryPolicy.Interval),
        Durations.Format(target.RetryPolicy.MaxInterval),
        [.. target.RetryPolicy.Schedule.Select(Durations.Format)],
        target.RetryPolicy.MaxAttempts,
        LogTime.Format(target.CreatedAt));
}
