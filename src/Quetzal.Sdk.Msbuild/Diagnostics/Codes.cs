using static Quetzal.Sdk.Diagnostics.Severity;

namespace Quetzal.Sdk.Diagnostics;

/// <summary>
/// Every code the SDK reports, in one table. Ranges: 1xxx model inputs and settings, 2xxx state machine,
/// 3xxx container, 4xxx AWS, 5xxx local run, 9xxx internal. The README's error table is checked against it by a test.
/// </summary>
public static class Codes
{
    // 10xx: settings and names
    public static readonly DiagnosticDescriptor InvalidModelName = new("QTZ1001", Error,
        "The model name '{0}' cannot name the model's S3 bucket: {1}. Set QuetzalModelName to 3-63 lowercase letters, digits and hyphens.",
        "Model name is not a valid S3 bucket name");
    public static readonly DiagnosticDescriptor InvalidBucketName = new("QTZ1002", Error,
        "QuetzalBucketName '{0}' is not a valid S3 bucket name: {1}.",
        "Bucket name is not a valid S3 bucket name");
    public static readonly DiagnosticDescriptor InvalidRepositoryName = new("QTZ1003", Error,
        "QuetzalEcrRepositoryName '{0}' is not a valid ECR repository name: {1}.",
        "ECR repository name breaks ECR's rules");
    public static readonly DiagnosticDescriptor InvalidFunctionName = new("QTZ1004", Error,
        "QuetzalLambdaFunctionName '{0}' is not a valid Lambda function name: {1}.",
        "Lambda function name breaks Lambda's rules");
    public static readonly DiagnosticDescriptor InvalidStateMachineName = new("QTZ1005", Error,
        "QuetzalStateMachineName '{0}' is not a valid state machine name: {1}.",
        "State machine name breaks Step Functions' rules");
    public static readonly DiagnosticDescriptor LimitOutOfRange = new("QTZ1006", Error,
        "{0} is '{1}'; it must be a whole number from {2} to {3} ({4}).",
        "Lambda memory, timeout or ephemeral storage is not a whole number in Lambda's range");
    public static readonly DiagnosticDescriptor InvalidRegion = new("QTZ1007", Error,
        "QuetzalAwsRegion '{0}' is not an AWS region name such as ca-central-1.",
        "Region is not an AWS region name");
    public static readonly DiagnosticDescriptor InvalidImageTag = new("QTZ1008", Error,
        "QuetzalImageTag '{0}' is not a valid image tag: 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.",
        "Image tag is not a valid Docker tag");
    public static readonly DiagnosticDescriptor FargateSize = new("QTZ1009", Error,
        "{0} is '{1}': {2}.",
        "A Fargate setting (QuetzalEcsCpu/Memory pair, Storage, TimeLimit, Subnets, SecurityGroups, AssignPublicIp) breaks Fargate's rules");
    public static readonly DiagnosticDescriptor FargateNetworkMissing = new("QTZ1010", Warning,
        "State '{0}' runs on Fargate, whose tasks run in subnets of your VPC: set QuetzalEcsSubnets (and QuetzalEcsSecurityGroups; QuetzalEcsAssignPublicIp=true for public subnets without a NAT gateway) before you publish; dotnet run needs none. README: 'When a step outgrows Lambda'.",
        "The model has a Fargate step and QuetzalEcsSubnets is empty (publish refuses it: QTZ4011)");
    public static readonly DiagnosticDescriptor UnknownPublishStep = new("QTZ1011", Error,
        "QuetzalPublishSteps names '{0}', which is not a publish step; the steps are {1} (separated by ';').{2}",
        "QuetzalPublishSteps names a step that does not exist");
    public static readonly DiagnosticDescriptor UnknownProperty = new("QTZ1012", Warning,
        "{0} is not a property of Quetzal.Sdk, so it changes nothing.{1} (A property of your own: add QTZ1012 to NoWarn.)",
        "A property named like the SDK's (Quetzal...) that the SDK does not read: a misspelling, most likely (the nearest one is named)");
    public static readonly DiagnosticDescriptor ImageAdditionInvalid = new("QTZ1013", Error,
        "{0} entry '{1}' cannot go into the generated Dockerfile: {2}.",
        "A QuetzalSystemPackages or QuetzalImageEnvironment entry a Dockerfile cannot hold safely");

    // 11xx: scenarios and required files
    public static readonly DiagnosticDescriptor BaseScenarioMissing = new("QTZ1101", Error,
        "The model has no 'base' scenario: create '{0}'. Quenedi copies new scenarios from base, and base is published first.",
        "The base scenario is missing");
    public static readonly DiagnosticDescriptor InvalidScenarioName = new("QTZ1102", Error,
        "Scenario name '{0}' cannot be an S3 prefix: {1}.",
        "Scenario name is not a safe S3 prefix");
    public static readonly DiagnosticDescriptor ScenarioFolderMissing = new("QTZ1103", Error,
        "Scenario '{0}' is declared but its folder '{1}' does not exist.{2}",
        "A declared scenario has no folder");
    public static readonly DiagnosticDescriptor RequiredInputMissing = new("QTZ1104", Error,
        "Scenario '{0}' lacks '{1}', which Quenedi needs. {2}",
        "An input Quenedi needs is missing from a scenario");
    public static readonly DiagnosticDescriptor DuplicateScenario = new("QTZ1105", Error,
        "Scenario '{0}' is declared more than once. Every folder under the scenarios folder is a scenario by default; to list them yourself, set EnableDefaultQuetzalScenarioItems to false.",
        "A scenario is declared twice");
    public static readonly DiagnosticDescriptor UnknownNetwork = new("QTZ1106", Error,
        "QuetzalNetwork '{0}' is not a network Quenedi knows; use 'pt' or 'road'.",
        "QuetzalNetwork names an unknown network");
    public static readonly DiagnosticDescriptor PathEscapesModel = new("QTZ1107", Error,
        "'{0}' leads outside the model folder (through a link); scenario files must live inside the model.",
        "A scenario file or folder is a link to outside the model");
    public static readonly DiagnosticDescriptor UnknownScenarioSelected = new("QTZ1108", Error,
        "{0} names '{1}', which is not one of the model's scenarios: {2}. (On the command line, separate several with %3B, MSBuild's escape of ';'.)",
        "QuetzalScenarios (or --scenario) names a scenario the model does not declare");

    // 12xx: JSON and GeoJSON networks
    public static readonly DiagnosticDescriptor InvalidJson = new("QTZ1201", Error,
        "The file is not valid JSON: {0}",
        "A network or params file is not valid JSON (line and column given)");
    public static readonly DiagnosticDescriptor UnsupportedEncoding = new("QTZ1202", Error,
        "The file is {0}; save it as UTF-8.",
        "A JSON file is UTF-16 or UTF-32, not UTF-8");
    public static readonly DiagnosticDescriptor NotFeatureCollection = new("QTZ1203", Error,
        "The file is not a GeoJSON FeatureCollection: {0}.",
        "A network file is not a FeatureCollection with a features array");
    public static readonly DiagnosticDescriptor WrongGeometry = new("QTZ1204", Error,
        "{0}",
        "A node is not a Point or a link is not a LineString");
    public static readonly DiagnosticDescriptor InvalidCoordinates = new("QTZ1205", Error,
        "{0}",
        "Coordinates are malformed, not finite, or outside longitude/latitude bounds");
    public static readonly DiagnosticDescriptor ProjectedCrs = new("QTZ1206", Error,
        "{0}",
        "The network is in a projected or unknown CRS; Quenedi needs longitude/latitude (CRS84 or EPSG:4326)");
    public static readonly DiagnosticDescriptor MissingIndex = new("QTZ1207", Error,
        "{0}",
        "A feature has no properties.index");
    public static readonly DiagnosticDescriptor DuplicateIndex = new("QTZ1208", Error,
        "{0}",
        "Two features of a file share an index");
    public static readonly DiagnosticDescriptor MissingEndpoint = new("QTZ1209", Error,
        "{0}",
        "A link has no 'a' or 'b'");
    public static readonly DiagnosticDescriptor DanglingEndpoint = new("QTZ1210", Error,
        "{0}",
        "A link's 'a' or 'b' names no node of the same network");
    public static readonly DiagnosticDescriptor MissingPtAttribute = new("QTZ1211", Error,
        "{0}",
        "A pt link has no trip_id or link_sequence");
    public static readonly DiagnosticDescriptor MissingDisplayAttribute = new("QTZ1212", Warning,
        "{0} of {1} links have no '{2}' value ({3}), which Quenedi displays; the first is feature {4}, here.",
        "Links have no value (absent or null) for an attribute Quenedi only displays (time, headway, length, speed)");
    public static readonly DiagnosticDescriptor MoreOffenders = new("QTZ1213", Error,
        "{0} features in all break rule {1} in this file; the first {2} are listed above.",
        "Count of the features breaking a rule, after the first few are listed");
    public static readonly DiagnosticDescriptor TokenTooLarge = new("QTZ1214", Error,
        "A single JSON value at this position is larger than {0} MB; the network cannot be read.",
        "A single JSON value is too large to be a network attribute");

    public static readonly DiagnosticDescriptor UnreadableFile = new("QTZ1215", Error,
        "The file cannot be read: {0}",
        "An input file cannot be opened (locked by another program, or no permission)");

    // 13xx: params.json
    public static readonly DiagnosticDescriptor InvalidParams = new("QTZ1301", Error,
        "params.json at {0}: {1}; Quenedi refuses the file.",
        "params.json is a file Quenedi refuses (not a list; a category without category or params; a parameter without name or value; JSON path given)");
    public static readonly DiagnosticDescriptor ParamsMisread = new("QTZ1302", Warning,
        "params.json at {0}: {1}.",
        "params.json loads in Quenedi but a member would be misread (JSON path given)");
    public static readonly DiagnosticDescriptor StylesInvalid = new("QTZ1303", Error,
        "styles.json at {0}: {1}; Quenedi refuses a styles file that is not a list of styles with 'name' and 'layer'.",
        "styles.json is not a list of styles with name and layer (Quenedi refuses it)");
    public static readonly DiagnosticDescriptor InfoInvalid = new("QTZ1304", Error,
        "info.json at {0}: {1}; Quenedi reads it as an object of texts (description, model_tag, last_modified_date, last_modified_email).",
        "info.json is not an object of texts");
    public static readonly DiagnosticDescriptor ReservedScenarioName = new("QTZ1305", Error,
        "A scenario cannot be named '{0}': Quenedi keeps the model's own files (lock.json, modelConfig.json, docs/) under that prefix. Rename the folder.",
        "A scenario folder is named _common");

    // 14xx: importing a model of the original layout
    public static readonly DiagnosticDescriptor ImportSourceMissing = new("QTZ1401", Error,
        "QuetzalImportFrom must name the folder of a model in the original layout; '{0}' is not one.",
        "QuetzalImportFrom names no folder to import from");
    public static readonly DiagnosticDescriptor ImportStateMachineUnconverted = new("QTZ1402", Warning,
        "The original step-functions.json is still not JSON once its comments and placeholders are converted ({0}): it is copied as it is; correct it here.",
        "The imported state machine could not be converted to JSON (position given)");
    public static readonly DiagnosticDescriptor ImportDockerfileKept = new("QTZ1403", Warning,
        "The original Dockerfile does what no setting covers: {0}. This Dockerfile is the generated one with those lines after FROM, and yours (no header), so: its FROM is fixed text (QuetzalBaseImage no longer applies), every publish builds it with the Docker engine, and later SDKs' Dockerfile improvements do not reach it. Move those lines to settings where one fits (QuetzalSystemPackages, QuetzalImageEnvironment, requirements.txt) and delete this file to have the SDK generate one.",
        "The original Dockerfile has lines the generated one lacks: kept in a Dockerfile of the user's");
    public static readonly DiagnosticDescriptor ImportSecretsLeft = new("QTZ1404", Warning,
        "The original .env holds AWS keys: not imported (a model folder holds no credentials). Publish with 'aws configure' or a profile (QuetzalAwsProfile), and consider rotating those keys.",
        "The original .env holds AWS keys, which the import leaves behind");
    public static readonly DiagnosticDescriptor ImportLibraryMissing = new("QTZ1405", Warning,
        "The original Dockerfile put the quetzal library into the image ({0}), from '{1}', which is not a folder here: set QuetzalLibraryPath to your checkout of the quetzal library (the folder holding its 'quetzal' package), or `import quetzal` works on your machine and fails on AWS.",
        "The original Dockerfile copied the quetzal library from a folder the import cannot find");
    public static readonly DiagnosticDescriptor ImportSettingDropped = new("QTZ1406", Warning,
        "{0}: '{1}' is not imported: {2}.",
        "A setting of the original model that has no place in the project (named, with why)");

    // 2xxx: the state machine
    public static readonly DiagnosticDescriptor StateMachineMissing = new("QTZ2001", Error,
        "The model has no workflow: create '{0}' or declare <QuetzalStep Include=\"steps/....py\" /> items.",
        "Neither a state machine file nor QuetzalStep items");
    public static readonly DiagnosticDescriptor StateMachineInvalidJson = new("QTZ2002", Error,
        "The state machine is not valid JSON: {0}",
        "The state machine file is not valid JSON (line and column given)");
    public static readonly DiagnosticDescriptor StateMachineStructure = new("QTZ2003", Error,
        "{0}",
        "The state machine breaks the Amazon States Language structure (missing StartAt, States, Type, Next/End...)");
    public static readonly DiagnosticDescriptor UnknownTransition = new("QTZ2004", Error,
        "{0}",
        "StartAt, Next, Default, a Choice or a Catch names a state that does not exist");
    public static readonly DiagnosticDescriptor NoTerminalState = new("QTZ2005", Error,
        "{0} has no terminal state: add \"End\": true to the last state, or a Succeed or Fail state.",
        "A state machine or branch has no terminal state");
    public static readonly DiagnosticDescriptor UnreachableState = new("QTZ2006", Error,
        "State '{0}' cannot be reached from '{1}': Step Functions refuses a state nothing leads to (MISSING_TRANSITION_TARGET). Remove it, or name it in a Next, a Default or a Catch.",
        "A state cannot be reached from StartAt (Step Functions refuses the definition)");
    public static readonly DiagnosticDescriptor UnknownPlaceholder = new("QTZ2007", Error,
        "Unknown placeholder '${{{0}}}'; the SDK substitutes only: {1}.",
        "The state machine uses a placeholder the SDK does not substitute");
    public static readonly DiagnosticDescriptor NotebookMissing = new("QTZ2008", Error,
        "State '{0}' runs '{1}', which is not a file of the model (looked for '{2}').{3}",
        "A Task's notebook_path names no file of the model");
    public static readonly DiagnosticDescriptor StepsIgnored = new("QTZ2009", Warning,
        "QuetzalStep items are ignored because the state machine file '{0}' exists; remove one or the other.",
        "QuetzalStep items and a state machine file are both present");
    public static readonly DiagnosticDescriptor InvalidStep = new("QTZ2010", Error,
        "QuetzalStep '{0}': {1}.",
        "A QuetzalStep item names no model file or repeats a state name");
    public static readonly DiagnosticDescriptor NotebookNeedsNbconvert = new("QTZ2011", Warning,
        "State '{0}' runs the notebook '{1}': the handler converts notebooks to scripts with nbconvert, which requirements.txt does not list, so the step would fail in Lambda. Add a line 'nbconvert' to requirements.txt (or, if your base image has it, silence QTZ2011 with MSBuildWarningsAsMessages).",
        "A step is a notebook and requirements.txt does not list nbconvert");
    public static readonly DiagnosticDescriptor OriginalPlaceholder = new("QTZ2012", Error,
        "{0} is a placeholder of the original templates, left as it was; the SDK fills in {1} at publish: write \"{1}\" here (with the quotes).",
        "A placeholder of the original templates (<LAMBDA-FUNCTION-ARN>, <model_name>) was left in the state machine");
    public static readonly DiagnosticDescriptor FargateStateIncomplete = new("QTZ2013", Error,
        "Fargate state '{0}' {1}: name its step with \"notebook_path\" in its Parameters (the SDK fills in the cluster, the task definition, the network and the container's environment), or write the whole RunTask request with a TaskDefinition.",
        "A Fargate Task (ecs:runTask.sync) names no step (notebook_path) and no TaskDefinition");
    public static readonly DiagnosticDescriptor RetryMissing = new("QTZ2014", Warning,
        "State '{0}' runs on {1} without a Retry for {2}, which AWS answers at times ({3}); the run would fail there. Add to the state's \"Retry\": {4}",
        "A Lambda or Fargate Task of the project's state machine does not retry AWS's everyday faults (an idle image function, no Fargate capacity)");
    public static readonly DiagnosticDescriptor NotebookMagic = new("QTZ2015", Warning,
        "Notebook '{0}' (state '{1}'), cell {2}: '{3}' is {4}, which only Jupyter runs: the step runs the notebook as a Python script, on AWS and in dotnet run, and fails there with a SyntaxError or NameError. {5}",
        "A notebook that a state runs has an IPython magic or shell escape in a code cell (located at the cell's line in the .ipynb)");

    public static readonly DiagnosticDescriptor StateMachineRefusedByAws = new("QTZ2016", Error,
        "{0} Step Functions refuses the definition (UpdateStateMachine would fail at publish).",
        "The state machine holds what Step Functions refuses: an unknown field, a path that is not one, a value of the wrong type or range, a name used twice, States.ALL not alone or not last");
    public static readonly DiagnosticDescriptor JsonataUnsupported = new("QTZ2017", Error,
        "{0} is written in JSONata (\"QueryLanguage\": \"JSONata\"), which the SDK does not interpret: dotnet run could not run it as Step Functions would, so the build refuses it rather than ignore it. Write it in JSONPath (the default: remove QueryLanguage; Parameters for Arguments, OutputPath/ResultSelector for Output, a Choice rule's Variable for Condition).",
        "The state machine or a state uses JSONata, which the local interpreter does not run");
    public static readonly DiagnosticDescriptor QuenediCannotRead = new("QTZ2018", Warning,
        "{0}. Step Functions runs it; only the Run page's list of steps is affected (a model with Fargate steps is read from steps.json instead).",
        "The state machine holds what Quenedi's Run page cannot read (a Choice rule other than StringEquals, And/Or/Not, ItemProcessor instead of Iterator, a loop)");

    // 3xxx: container
    public static readonly DiagnosticDescriptor UserOwnedFile = new("QTZ3001", Message,
        "'{0}' has no Quetzal.Sdk header, so it is yours: the SDK leaves it alone.",
        "A Dockerfile or .dockerignore without the generated header is left alone");
    public static readonly DiagnosticDescriptor LibraryPathMissing = new("QTZ3002", Error,
        "QuetzalLibraryPath '{0}' is not a folder; it should point at a checkout of the quetzal library (the folder holding its 'quetzal' package).",
        "QuetzalLibraryPath names no folder");

    public static readonly DiagnosticDescriptor DockerUnavailable = new("QTZ3003", Error,
        "Cannot reach the Docker engine at {0}: {1}. Start Docker (Docker Desktop on Windows and macOS, dockerd on Linux) or set DOCKER_HOST.",
        "The Docker engine does not answer");
    public static readonly DiagnosticDescriptor ImageBuildFailed = new("QTZ3004", Error,
        "The image build failed: {0}",
        "A Dockerfile step failed (its output is in the message)");
    public static readonly DiagnosticDescriptor ImagePushFailed = new("QTZ3005", Error,
        "Pushing the image to {0} failed: {1}",
        "The registry refused or dropped the image push");

    public static readonly DiagnosticDescriptor SecretInContext = new("QTZ3006", Error,
        "'{0}' looks like a secret (credentials, keys or environment) and would be copied into the image: keep it out with the .dockerignore the SDK generates, or move it out of the model folder.",
        "A credentials, key or .env file would go into the image");
    public static readonly DiagnosticDescriptor RegistryCallFailed = new("QTZ3007", Error,
        "The registry {0} answered {1} to {2}: {3}",
        "The container registry refused a request (status and its answer given)");
    public static readonly DiagnosticDescriptor DockerEngineFailed = new("QTZ3008", Error,
        "The Docker engine refused a request ({0}): {1}",
        "The Docker engine answered an error (status and its message given)");
    public static readonly DiagnosticDescriptor DataInImage = new("QTZ3009", Warning,
        "{0} ({1} files, {2}) goes into the image: the .dockerignore you took over does not exclude it. Scenario data comes from S3 at run time; add '{0}' to .dockerignore (or delete the file to have the SDK generate it).",
        "Scenario data would go into the image (a taken-over .dockerignore lets it through; its size given)");
    public static readonly DiagnosticDescriptor ContextFileUnreadable = new("QTZ3010", Error,
        "'{0}' cannot be read into the image's build context: {1}. Close the program that holds it, or exclude it in .dockerignore.",
        "A file of the build context cannot be read (locked or no permission)");
    public static readonly DiagnosticDescriptor AdditionsNotInOwnDockerfile = new("QTZ3011", Warning,
        "{0} is set, but '{1}' is yours (no Quetzal.Sdk header), so the SDK does not write it: those settings do nothing. Put their lines in your Dockerfile, or delete it to have the SDK generate one that covers them.",
        "QuetzalSystemPackages or QuetzalImageEnvironment is set while the Dockerfile is the user's");

    // 4xxx: AWS
    public static readonly DiagnosticDescriptor NoCredentials = new("QTZ4001", Error,
        "No AWS credentials: {0}. Run 'aws configure', or 'aws sso login --profile NAME' with QuetzalAwsProfile=NAME, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
        "No AWS credentials could be found");
    public static readonly DiagnosticDescriptor CredentialsRefused = new("QTZ4002", Error,
        "AWS refused the credentials ({0}: {1}). They may have expired: run 'aws sso login' (or renew the keys) and publish again.",
        "AWS refused the credentials (expired or invalid)");
    public static readonly DiagnosticDescriptor WrongRegion = new("QTZ4006", Error,
        "AWS answered that the request went to the wrong region ({0}: {1}). The credentials are fine: the model's region (QuetzalAwsRegion, else AWS_REGION or the profile's) is not the region of its stack. Set QuetzalAwsRegion to the region where infra/ was applied.",
        "A request was signed for or sent to another region than the stack's (the model's QuetzalAwsRegion is not the stack's)");
    public static readonly DiagnosticDescriptor InvalidEndpoint = new("QTZ4003", Error,
        "{0} is '{1}', which is not an absolute URL such as http://localhost:4566.",
        "An AWS_ENDPOINT_URL variable is not a URL");
    public static readonly DiagnosticDescriptor AwsCallFailed = new("QTZ4004", Error,
        "{0} {1} failed: {2}",
        "An AWS call failed after retries (service, operation and AWS's message given)");
    public static readonly DiagnosticDescriptor ServiceUnreachable = new("QTZ4005", Error,
        "Could not reach {0}: {1}. Check the network (a proxy, a VPN) and any AWS_ENDPOINT_URL variable.",
        "A service could not be reached (connection refused, name not found, time-out)");
    public static readonly DiagnosticDescriptor RepositoryMissing = new("QTZ4010", Error,
        "The ECR repository '{0}' does not exist: create the model's AWS resources first with infra/: 'dotnet build -t:QuetzalWriteTfvars' prints the terraform commands (README: 'Deploying to a real AWS account').",
        "The model's ECR repository does not exist");
    public static readonly DiagnosticDescriptor FargateNetworkRequired = new("QTZ4011", Error,
        "State '{0}' runs on Fargate, whose tasks run in subnets of your VPC: set QuetzalEcsSubnets (and QuetzalEcsSecurityGroups; QuetzalEcsAssignPublicIp=true for public subnets without a NAT gateway). Nothing was published. README: 'When a step outgrows Lambda'.",
        "Publish of a model with a Fargate step and no QuetzalEcsSubnets");
    public static readonly DiagnosticDescriptor LambdaUpdateFailed = new("QTZ4020", Error,
        "Lambda function '{0}' did not take the update: {1}",
        "Lambda reported a failed create or update (its reason given)");
    public static readonly DiagnosticDescriptor LambdaWaitTimedOut = new("QTZ4021", Error,
        "Lambda function '{0}' was still updating after {1} s.",
        "Lambda did not finish an update in time");
    public static readonly DiagnosticDescriptor BucketMissing = new("QTZ4030", Error,
        "The S3 bucket '{0}' does not exist: create the model's AWS resources first with infra/: 'dotnet build -t:QuetzalWriteTfvars' prints the terraform commands (README: 'Deploying to a real AWS account').",
        "The model's bucket does not exist");
    public static readonly DiagnosticDescriptor UploadFailed = new("QTZ4031", Error,
        "Uploading '{0}' to s3://{1}/{2} failed: {3}",
        "A scenario file could not be uploaded");

    public static readonly DiagnosticDescriptor TfvarsIncomplete = new("QTZ4040", Warning,
        "{0} is empty, so the tfvars sets {1}: {2} Set {0} in the project, then write the tfvars again.",
        "A setting the Terraform needs is not set in the project");

    public static readonly DiagnosticDescriptor TeardownNotConfirmed = new("QTZ4050", Error,
        "Teardown deletes the Lambda function, every object of the bucket and every image of '{0}': confirm with -p:QuetzalConfirmTeardown={0} (or look first with -p:QuetzalDryRun=true).",
        "Teardown without QuetzalConfirmTeardown equal to the model name");

    public static readonly DiagnosticDescriptor GroupMissing = new("QTZ4060", Error,
        "Name the Cognito group: -p:QuetzalCognitoGroup=<group>.",
        "Grant or revoke access without QuetzalCognitoGroup");
    public static readonly DiagnosticDescriptor AccessFileInvalid = new("QTZ4061", Error,
        "s3://{0}/{1} is not a JSON object of group names to bucket lists: {2}",
        "The access file of the config bucket is not in its format");
    public static readonly DiagnosticDescriptor AccessConflict = new("QTZ4062", Error,
        "s3://{0}/{1} kept changing under {2} attempts; try again.",
        "The access file changed on every attempt (others writing it at the same time)");

    public static readonly DiagnosticDescriptor PublishLocked = new("QTZ4070", Error,
        "Another publish or teardown of '{0}' still held {1} after {2} s; nothing was changed. Publish again when it ends.",
        "Another publish of the same model is running");
    public static readonly DiagnosticDescriptor PublishLeaseHeld = new("QTZ4071", Error,
        "{1} has been publishing '{0}' since {2} (lease s3://{3}/{4}); gave up waiting after {5} s and changed nothing. Publish again when it ends; if it no longer runs, its lease expires at {6}, or delete that object.",
        "Another machine or folder is publishing the same model");
    public static readonly DiagnosticDescriptor PublishLeaseFailed = new("QTZ4072", Error,
        "Could not take the publish lease s3://{0}/{1}: {2}. Nothing was changed.",
        "The bucket refused the publish lease");
    public static readonly DiagnosticDescriptor PublishWithoutLease = new("QTZ4073", Warning,
        "s3://{0} does not support conditional writes, so this publish takes no lease: a publish of '{1}' from another folder or machine at the same time could interleave with it.",
        "The bucket's storage cannot hold the publish lease (an S3-compatible server without conditional writes)");

    public static readonly DiagnosticDescriptor VersionMissing = new("QTZ4080", Error,
        "'{0}' has no version {1}{2}. Nothing was changed. See the versions with: dotnet build -t:QuetzalVersions",
        "A rollback names a version that does not exist (or that retention removed)");
    public static readonly DiagnosticDescriptor VersionIncomplete = new("QTZ4081", Error,
        "Version {0} of '{1}' cannot be made current: {2}, deleted outside the SDK. Nothing was changed. Roll back to another version (dotnet build -t:QuetzalVersions), or publish again.",
        "A rollback names a version whose image, Lambda version or task definition revision is gone");
    public static readonly DiagnosticDescriptor VersionNotGiven = new("QTZ4082", Error,
        "Name the version to make current: -p:QuetzalVersion=<number> (12 or v12); -p:QuetzalDryRun=true shows what it would change. dotnet build -t:QuetzalVersions lists them.",
        "QuetzalRollback without QuetzalVersion (or with one that is not a version number)");

    // 5xxx: local run
    public static readonly DiagnosticDescriptor StepFailed = new("QTZ5001", Error,
        "State '{0}' failed: {1}",
        "A step of the local run failed (its error and the tail of its output given)");
    public static readonly DiagnosticDescriptor ExecutionFailed = new("QTZ5002", Error,
        "The workflow failed in state '{0}': {1}: {2}",
        "The local run ended in a Fail state or an error no Catch handled");
    public static readonly DiagnosticDescriptor UnsupportedFeature = new("QTZ5003", Error,
        "State '{0}' uses {1}, which the local run does not support.",
        "The state machine uses a feature the local interpreter leaves out (named)");
    public static readonly DiagnosticDescriptor PathFailed = new("QTZ5004", Error,
        "State '{0}': {1}",
        "A JSONPath or template could not be applied to the state's input (States.Runtime)");
    public static readonly DiagnosticDescriptor PythonMissing = new("QTZ5005", Error,
        "Cannot start Python ('{0}'): {1}. Install Python 3 or set QuetzalPython to its path, or run with --mode docker.",
        "Python is not found for a python-mode local run");
    public static readonly DiagnosticDescriptor UnknownScenario = new("QTZ5006", Error,
        "Scenario '{0}' is not one of the model's: {1}.",
        "The scenario to run is not declared");
    public static readonly DiagnosticDescriptor InvalidInput = new("QTZ5007", Error,
        "The execution input cannot be used: {0}",
        "--input (or the scenario's params.json it is made from) is not a JSON object, --mode is unknown, or an option does not apply to the mode");
    public static readonly DiagnosticDescriptor LambdaWouldTimeOut = new("QTZ5008", Warning,
        "State '{0}' ran {1} s, past QuetzalLambdaTimeout ({2} s): on AWS, Lambda would have stopped it. Raise QuetzalLambdaTimeout (at most 900 s), or run the step on Fargate: Compute=\"ecs\" on its QuetzalStep, or \"Resource\": \"arn:aws:states:::ecs:runTask.sync\" in the state machine (README: 'When a step outgrows Lambda').",
        "A Lambda step of a local run took longer than the function's timeout");
    public static readonly DiagnosticDescriptor ExecutionFailedOnAws = new("QTZ5009", Error,
        "Scenario '{0}': the execution on AWS failed in state '{1}': {2}: {3}",
        "An execution of `dotnet run -- --mode aws` failed (the state, AWS's error and cause given; the step's log above)");
    public static readonly DiagnosticDescriptor DeploymentStale = new("QTZ5010", Error,
        "What is deployed of '{0}' is not what this folder holds: {1}. Publish first (dotnet build -t:Publish), or run what is deployed with --allow-stale.",
        "`dotnet run -- --mode aws`: the deployment differs from the model folder (what a publish would change given)");
    public static readonly DiagnosticDescriptor NotDeployed = new("QTZ5011", Error,
        "'{0}' is not deployed: {1}. Publish it first: dotnet build -t:Publish.",
        "`dotnet run -- --mode aws` of a model that was never published");
    public static readonly DiagnosticDescriptor UnknownRunOption = new("QTZ5012", Error,
        "'{0}' is not an option of dotnet run.{1} The options: dotnet run -- --help",
        "An option after `dotnet run --` does not exist (the nearest one is named)");

    // 9xxx: internal
    public static readonly DiagnosticDescriptor Internal = new("QTZ9001", Error,
        "Quetzal.Sdk failed unexpectedly in {0}: {1}. Please report it with the build log (-v:diag shows the details).",
        "An unexpected failure inside the SDK");
    public static readonly DiagnosticDescriptor MSBuildTooOld = new("QTZ9003", Error,
        "Quetzal.Sdk needs the dotnet CLI or Visual Studio 2026 (MSBuild 18), which can run .NET tasks; this is MSBuild {0} on .NET Framework.",
        "Visual Studio's MSBuild is older than 18 (raised by Sdk.targets)");
    public static readonly DiagnosticDescriptor Cancelled = new("QTZ9002", Error,
        "{0} was cancelled.",
        "The build was cancelled");
    public static readonly DiagnosticDescriptor ResolvedModelUnreadable = new("QTZ9004", Error,
        "The model's resolved settings ({0}) cannot be read: {1}. Build the model (dotnet build), then try again.",
        "obj/quetzal/model.json, which the build writes and every step reads, is missing or damaged");

    /// <summary>Every code, in order. Listed (by reflection) on first use only: the network worker and most tasks never ask.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All => Listing.All;

    private static class Listing
    {
        public static readonly IReadOnlyList<DiagnosticDescriptor> All = typeof(Codes)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToArray();
    }
}
