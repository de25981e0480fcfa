using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using WebhookEnterprise.Core;
using WebhookEnterprise.Core.Storage;

namespace WebhookEnterprise.Api;

public sealed record SourceRequest(string? Name, int? StatusCode, string? ContentType, string? Content);

public sealed record SourceView(
    long Id,
    string Name,
    string Url,
    int StatusCode,
    string ContentType,
    string Content,
    string CreatedAt);

/// <summary>Management of sources: <c>/api/sources</c>.</summary>
public static class SourceEndpoints
{
    public static IEndpointRouteBuilder MapSourceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sources").AddEndpointFilter<AdminTokenFilter>().AddEndpointFilter<SourceChangeFilter>();

        group.MapPost("/", AddAsync).WithName("AddSource");
        group.MapGet("/", ListAsync).WithName("ListSources");
        group.MapGet("/{idOrName}", ShowAsync).WithName("ShowSource");
        group.MapPatch("/{idOrName}", UpdateAsync).WithName("UpdateSource");
        group.MapDelete("/{idOrName}", RemoveAsync).WithName("RemoveSource");

        return app;
    }

    private static async Task<Results<Created<SourceView>, ProblemHttpResult>> AddAsync(
        SourceRequest request,
        SourceRepository sources,
        PublicUrl publicUrl,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return ProblemResults.Invalid("name", "A source needs a name.");
        }

        if (Validate(request) is { } problem)
        {
            return problem;
        }

        try
        {
            var source = await sources.AddAsync(
                request.Name.Trim(),
                request.StatusCode ?? StatusCodes.Status200OK,
                request.ContentType ?? "text/plain",
                request.Content ?? "",
                cancellationToken);

            return TypedResults.Created($"/api/sources/{source.Id}", ToView(source, publicUrl));
        }
        catch (ConflictException e)
        {
            return ProblemResults.Conflict(e.Field, e.Message);
        }
    }

    private static async Task<Ok<SourceView[]>> ListAsync(
        SourceRepository sources,
        PublicUrl publicUrl,
        CancellationToken cancellationToken)
    {
        var all = await sources.ListAsync(cancellationToken);

        return TypedResults.Ok(all.Select(source => ToView(source, publicUrl)).ToArray());
    }

    private static async Task<Results<Ok<SourceView>, ProblemHttpResult>> ShowAsync(
        string idOrName,
        SourceRepository sources,
        PublicUrl publicUrl,
        CancellationToken cancellationToken)
    {
        var source = await sources.FindAsync(idOrName, cancellationToken);

        return source is null ? Missing(idOrName) : TypedResults.Ok(ToView(source, publicUrl));
    }

    private static async Task<Results<Ok<SourceView>, ProblemHttpResult>> UpdateAsync(
        string idOrName,
        SourceRequest request,
        SourceRepository sources,
        PublicUrl publicUrl,
        CancellationToken cancellationToken)
    {
        if (request.Name is not null && string.IsNullOrWhiteSpace(request.Name))
        {
            return ProblemResults.Invalid("name", "A source's name cannot be empty.");
        }

        if (Validate(request) is { } problem)
        {
            return problem;
        }

        var source = await sources.FindAsync(idOrName, cancellationToken);
        if (source is null)
        {
            return Missing(idOrName);
        }

        try
        {
            var updated = await sources.UpdateAsync(
                source.Id,
                request.Name?.Trim(),
                request.StatusCode,
                request.ContentType,
                request.Content,
                cancellationToken);

            return updated is null ? Missing(idOrName) : TypedResults.Ok(ToView(updated, publicUrl));
        }
        catch (ConflictException e)
        {
            return ProblemResults.Conflict(e.Field, e.Message);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string idOrName,
        SourceRepository sources,
        CancellationToken cancellationToken)
    {
        var source = await sources.FindAsync(idOrName, cancellationToken);
        if (source is null || !await sources.RemoveAsync(source.Id, cancellationToken))
        {
            return Missing(idOrName);
        }

        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? Validate(SourceRequest request)
    {
        if (request.StatusCode is < 100 or > 599)
        {
            return ProblemResults.Invalid("status_code", $"The status code {request.StatusCode} is not between 100 and 599.");
        }

        if (request.ContentType is { } contentType
            && contentType.Length > 0
            && !System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out _))
        {
            return ProblemResults.Invalid("content_type", $"'{contentType}' is not a valid content type.");
        }

        return null;
    }

    private static ProblemHttpResult Missing(string idOrName) =>
        ProblemResults.NotFound("source", $"There is no source with the id or name '{idOrName}'.");

    internal static SourceView ToView(Source source, PublicUrl publicUrl) => new(
        source.Id,
        source.Name,
        publicUrl.ForSource(source),
        source.StatusCode,
        source.ContentType,
        source.Content,
        LogTime.Format(source.CreatedAt));
}
