using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace WebhookEnterprise.Api;

/// <summary>ProblemDetails answers of the management API, each naming the field at fault.</summary>
internal static class ProblemResults
{
    public static ProblemHttpResult Invalid(string field, string detail) =>
        Problem(StatusCodes.Status400BadRequest, "The request is not valid.", field, detail);

    public static ProblemHttpResult NotFound(string field, string detail) =>
        Problem(StatusCodes.Status404NotFound, "Not found.", field, detail);

    public static ProblemHttpResult Conflict(string field, string detail) =>
        Problem(StatusCodes.Status409Conflict, "Conflict.", field, detail);

    private static ProblemHttpResult Problem(int status, string title, string field, string detail) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}
