using McMaster.Extensions.CommandLineUtils;
using Microsoft.Extensions.DependencyInjection;
using WebhookEnterprise.Cli;

using var shutdown = new ShutdownSignal();
var services = new ServiceCollection()
    .AddSingleton<IConsole>(PhysicalConsole.Singleton)
    .AddSingleton(shutdown)
    .BuildServiceProvider();

var app = new CommandLineApplication<WebhookCli>();
app.Conventions
    .UseDefaultConventions()
    .UseConstructorInjection(services);
RefuseQuietly(app);

try
{
    return app.Execute(args);
}
catch (CommandParsingException e)
{
    await Console.Error.WriteLineAsync(e.Message);

    return ExitCodes.BadInput;
}
catch (CliException e)
{
    await Console.Error.WriteLineAsync(e.Message);

    return e.ExitCode;
}
catch (Exception e) when (StartupFailure.Describe(e) is { } sentence)
{
    await Console.Error.WriteLineAsync(sentence);

    return ExitCodes.Unavailable;
}

// A validation error is one sentence on standard error, like every other refusal.
static void RefuseQuietly(CommandLineApplication command)
{
    command.ValidationErrorHandler = result =>
    {
        Console.Error.WriteLine(result.ErrorMessage);

        return ExitCodes.BadInput;
    };

    foreach (var subcommand in command.Commands)
    {
        RefuseQuietly(subcommand);
    }
}
