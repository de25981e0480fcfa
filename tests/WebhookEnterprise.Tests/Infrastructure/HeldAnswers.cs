using Microsoft.AspNetCore.Http;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// A target that takes requests and keeps them waiting until <see cref="Release"/>, then answers
/// 200 to them and to every later request: a slow target, to catch attempts in flight.
/// </summary>
internal sealed class HeldAnswers
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RespondAsync(ReceivedRequest request, HttpContext context)
    {
        await _released.Task;
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsync("OK", context.RequestAborted);
    }

    public void Release() => _released.TrySetResult();
}
