using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The model's state machine: the workflow file with its placeholders filled with the deployed resources, created
/// or updated when it differs. Read by its ARN: one request, however many machines the account has.
/// </summary>
public sealed class StateMachineStep : PublishStep<StateMachineStep.Plan>
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, string Arn, string Definition, bool Exists) : StepPlan(HasWrites, Lines);

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var name = request.Names.StateMachineName;
        var account = context.Account;
        if (account is null) return new Plan(false, [$"State machine: not read ({name}): the account is known once the ECR repository exists"], "", "", false);
        if (!File.Exists(request.StateMachinePath)) throw new QuetzalException(Codes.StateMachineMissing, request.StateMachinePath);
        var definition = StateMachineRenderer.Render(await File.ReadAllTextAsync(request.StateMachinePath, cancellation), Placeholders.Values(request.Names, account, context.FunctionArn));
        var arn = account.StateMachineArn(name);
        var current = await context.Clients.StepFunctions.TryDescribeStateMachineAsync(arn, cancellation);
        if (current is null) return new Plan(true, [$"State machine: would create {name}"], arn, definition, false);
        if (JsonNode.DeepEquals(JsonNode.Parse(current.Definition), JsonNode.Parse(definition)))
            return new Plan(false, [$"State machine: unchanged ({name})"], arn, definition, true);
        return new Plan(true, [$"State machine: would update {name}"], arn, definition, true);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var request = context.Request;
        var name = request.Names.StateMachineName;
        if (!plan.Exists)
        {
            await context.Clients.StepFunctions.CreateStateMachineAsync(name, plan.Definition, context.Account!.RoleArn(ResourceNames.StateMachineRole(request.Names.ModelName)), cancellation);
            return [$"State machine: created {name}"];
        }
        await context.Clients.StepFunctions.UpdateStateMachineAsync(plan.Arn, plan.Definition, cancellation);
        return [$"State machine: updated {name}"];
    }
}
