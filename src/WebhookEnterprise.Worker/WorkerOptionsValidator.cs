using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Checks <see cref="WorkerOptions"/> when the worker starts. Each failure is the option's own
/// sentence, so that the command line can print it as it is.
/// </summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(
            results.Select(result => result.ErrorMessage ?? "A worker setting is invalid."));
    }
}
