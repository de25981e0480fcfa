using McMaster.Extensions.CommandLineUtils;
using WebhookEnterprise.Bench;

return await CommandLineApplication.ExecuteAsync<BenchCli>(args);
