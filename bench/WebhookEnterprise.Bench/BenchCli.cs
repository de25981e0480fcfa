using McMaster.Extensions.CommandLineUtils;
using WebhookEnterprise.Bench.Commands;

namespace WebhookEnterprise.Bench;

[Command(Name = "bench",
    Description = "The pieces of the benchmark harness that bench/run.sh starts; see docs/benchmarks.md.")]
[Subcommand(
    typeof(TargetCommand),
    typeof(BaselineCommand),
    typeof(OpenLoopCommand),
    typeof(DrainCommand),
    typeof(MachineCommand),
    typeof(ReportCommand))]
[HelpOption("-h|--help")]
public sealed class BenchCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();

        return BadInput;
    }
}
