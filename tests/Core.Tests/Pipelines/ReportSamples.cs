namespace DevMentor.Core.Tests.Pipelines;

/// <summary>
/// Report files exactly as the tools wrote them on this machine: `dotnet test --logger trx
/// --collect "XPlat Code Coverage"` on a small xunit project (3 passed, 1 failed, 1 skipped) and
/// `node --test --test-reporter=junit` (2 passed, 1 failed, 1 skipped, one describe block).
/// </summary>
internal static class ReportSamples
{
    public const string Trx = """""
<?xml version="1.0" encoding="utf-8"?>
<TestRun id="1c563bf9-4e77-4623-a7f1-3bdd761e6d85" name="@vm 2026-11-22 11:42:14" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
  <Times creation="2026-11-22T11:42:14.5899211+00:00" queuing="2026-11-22T11:42:14.5899212+00:00" start="2026-11-22T11:41:57.0365260+00:00" finish="2026-11-22T11:42:16.4993657+00:00" />
  <TestSettings name="default" id="e8e4e063-030e-4108-8745-cb89edcf2123">
    <Deployment runDeploymentRoot="_vm_2026-11-22_11_42_14" />
  </TestSettings>
  <Results>
    <UnitTestResult executionId="ff9eefd0-f744-4be7-ab12-23f6ce20dfc6" testId="35ca9f63-a943-384e-338c-d8198fc6bcdd" testName="Calc.Tests.CalculatorTests.Division_by_zero_throws" computerName="vm" duration="00:00:00.0176637" startTime="2026-11-22T11:42:13.3401906+00:00" endTime="2026-11-22T11:42:13.3404183+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="ff9eefd0-f744-4be7-ab12-23f6ce20dfc6" />
    <UnitTestResult executionId="9466bf14-88c1-40cc-96e4-795fe9889f07" testId="062ac8a8-b1b1-6eb2-0421-86b1141b798f" testName="Calc.Tests.CalculatorTests.Divides" computerName="vm" duration="00:00:00.0970152" startTime="2026-11-22T11:42:13.1294970+00:00" endTime="2026-11-22T11:42:13.1588497+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="9466bf14-88c1-40cc-96e4-795fe9889f07" />
    <UnitTestResult executionId="58f20163-478e-4f5b-9f04-e1e3d4eafec9" testId="f9e782ca-5ba2-2d7a-fce6-5e0fcb35f72f" testName="Calc.Tests.CalculatorTests.Skipped" computerName="vm" duration="00:00:00.0010000" startTime="2026-11-22T11:42:13.2895439+00:00" endTime="2026-11-22T11:42:13.2901322+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="NotExecuted" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="58f20163-478e-4f5b-9f04-e1e3d4eafec9">
      <Output>
        <ErrorInfo>
          <Message>not yet</Message>
        </ErrorInfo>
      </Output>
    </UnitTestResult>
    <UnitTestResult executionId="47de2784-3da0-4f36-a036-018e07acffea" testId="6f0bae2e-f297-7d88-ed69-a54b574ed567" testName="Calc.Tests.CalculatorTests.Adds" computerName="vm" duration="00:00:00.0002955" startTime="2026-11-22T11:42:13.3421940+00:00" endTime="2026-11-22T11:42:13.3423441+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="47de2784-3da0-4f36-a036-018e07acffea" />
    <UnitTestResult executionId="f4778917-f53d-41a3-868f-4cadb337c5ae" testId="b71c8fdc-725a-258e-82ff-8174bc5bcc72" testName="Calc.Tests.CalculatorTests.Even_numbers" computerName="vm" duration="00:00:00.0014570" startTime="2026-11-22T11:42:13.3646297+00:00" endTime="2026-11-22T11:42:13.3834732+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Failed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="f4778917-f53d-41a3-868f-4cadb337c5ae">
      <Output>
        <ErrorInfo>
          <Message>3 should be even</Message>
          <StackTrace>   at Calc.Tests.CalculatorTests.Even_numbers() in /tmp/bs-dotnet/tests/Calc.Tests/CalculatorTests.cs:line 18
   at System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method(Object obj, IntPtr* args)
   at System.Reflection.MethodBaseInvoker.InvokeWithNoArgs(Object obj, BindingFlags invokeAttr)</StackTrace>
        </ErrorInfo>
      </Output>
    </UnitTestResult>
  </Results>
  <TestDefinitions>
    <UnitTest name="Calc.Tests.CalculatorTests.Even_numbers" storage="/tmp/bs-dotnet/tests/calc.tests/bin/debug/net10.0/calc.tests.dll" id="b71c8fdc-725a-258e-82ff-8174bc5bcc72">
      <Execution id="f4778917-f53d-41a3-868f-4cadb337c5ae" />
      <TestMethod codeBase="/tmp/bs-dotnet/tests/Calc.Tests/bin/Debug/net10.0/Calc.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calc.Tests.CalculatorTests" name="Even_numbers" />
    </UnitTest>
    <UnitTest name="Calc.Tests.CalculatorTests.Divides" storage="/tmp/bs-dotnet/tests/calc.tests/bin/debug/net10.0/calc.tests.dll" id="062ac8a8-b1b1-6eb2-0421-86b1141b798f">
      <Execution id="9466bf14-88c1-40cc-96e4-795fe9889f07" />
      <TestMethod codeBase="/tmp/bs-dotnet/tests/Calc.Tests/bin/Debug/net10.0/Calc.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calc.Tests.CalculatorTests" name="Divides" />
    </UnitTest>
    <UnitTest name="Calc.Tests.CalculatorTests.Skipped" storage="/tmp/bs-dotnet/tests/calc.tests/bin/debug/net10.0/calc.tests.dll" id="f9e782ca-5ba2-2d7a-fce6-5e0fcb35f72f">
      <Execution id="58f20163-478e-4f5b-9f04-e1e3d4eafec9" />
      <TestMethod codeBase="/tmp/bs-dotnet/tests/Calc.Tests/bin/Debug/net10.0/Calc.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calc.Tests.CalculatorTests" name="Skipped" />
    </UnitTest>
    <UnitTest name="Calc.Tests.CalculatorTests.Adds" storage="/tmp/bs-dotnet/tests/calc.tests/bin/debug/net10.0/calc.tests.dll" id="6f0bae2e-f297-7d88-ed69-a54b574ed567">
      <Execution id="47de2784-3da0-4f36-a036-018e07acffea" />
      <TestMethod codeBase="/tmp/bs-dotnet/tests/Calc.Tests/bin/Debug/net10.0/Calc.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calc.Tests.CalculatorTests" name="Adds" />
    </UnitTest>
    <UnitTest name="Calc.Tests.CalculatorTests.Division_by_zero_throws" storage="/tmp/bs-dotnet/tests/calc.tests/bin/debug/net10.0/calc.tests.dll" id="35ca9f63-a943-384e-338c-d8198fc6bcdd">
      <Execution id="ff9eefd0-f744-4be7-ab12-23f6ce20dfc6" />
      <TestMethod codeBase="/tmp/bs-dotnet/tests/Calc.Tests/bin/Debug/net10.0/Calc.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calc.Tests.CalculatorTests" name="Division_by_zero_throws" />
    </UnitTest>
  </TestDefinitions>
  <TestEntries>
    <TestEntry testId="35ca9f63-a943-384e-338c-d8198fc6bcdd" executionId="ff9eefd0-f744-4be7-ab12-23f6ce20dfc6" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
    <TestEntry testId="062ac8a8-b1b1-6eb2-0421-86b1141b798f" executionId="9466bf14-88c1-40cc-96e4-795fe9889f07" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
    <TestEntry testId="f9e782ca-5ba2-2d7a-fce6-5e0fcb35f72f" executionId="58f20163-478e-4f5b-9f04-e1e3d4eafec9" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
    <TestEntry testId="6f0bae2e-f297-7d88-ed69-a54b574ed567" executionId="47de2784-3da0-4f36-a036-018e07acffea" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
    <TestEntry testId="b71c8fdc-725a-258e-82ff-8174bc5bcc72" executionId="f4778917-f53d-41a3-868f-4cadb337c5ae" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
  </TestEntries>
  <TestLists>
    <TestList name="Results Not in a List" id="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
    <TestList name="All Loaded Results" id="19431567-8539-422a-85d7-44ee4e166bda" />
  </TestLists>
  <ResultSummary outcome="Failed">
    <Counters total="5" executed="4" passed="3" failed="1" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
    <Output>
      <StdOut>[xUnit.net 00:00:00.05] xUnit.net VSTest Adapter v3.1.5+1b188a7b0a (64-bit .NET 10.0.12)
[xUnit.net 00:00:01.19]   Discovering: Calc.Tests
[xUnit.net 00:00:01.76]   Discovered:  Calc.Tests
[xUnit.net 00:00:02.12]   Starting:    Calc.Tests
[xUnit.net 00:00:03.55]       not yet
[xUnit.net 00:00:03.64]       3 should be even
[xUnit.net 00:00:03.64]       Stack Trace:
[xUnit.net 00:00:03.65]         /tmp/bs-dotnet/tests/Calc.Tests/CalculatorTests.cs(18,0): at Calc.Tests.CalculatorTests.Even_numbers()
[xUnit.net 00:00:03.65]            at System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method(Object obj, IntPtr* args)
[xUnit.net 00:00:03.65]            at System.Reflection.MethodBaseInvoker.InvokeWithNoArgs(Object obj, BindingFlags invokeAttr)
[xUnit.net 00:00:03.67]   Finished:    Calc.Tests
Test 'Calc.Tests.CalculatorTests.Skipped' was skipped in the test run.
</StdOut>
    </Output>
    <RunInfos>
      <RunInfo computerName="vm" outcome="Warning" timestamp="2026-11-22T11:42:13.3149985+00:00">
        <Text>[xUnit.net 00:00:03.53]     Calc.Tests.CalculatorTests.Skipped [SKIP]</Text>
      </RunInfo>
      <RunInfo computerName="vm" outcome="Error" timestamp="2026-11-22T11:42:13.4108768+00:00">
        <Text>[xUnit.net 00:00:03.63]     Calc.Tests.CalculatorTests.Even_numbers [FAIL]</Text>
      </RunInfo>
    </RunInfos>
    <CollectorDataEntries>
      <Collector agentName="vm" uri="datacollector://microsoft/CoverletCodeCoverage/1.0" collectorDisplayName="XPlat code coverage">
        <UriAttachments>
          <UriAttachment>
            <A href="vm/coverage.cobertura.xml"></A>
          </UriAttachment>
        </UriAttachments>
      </Collector>
    </CollectorDataEntries>
  </ResultSummary>
</TestRun>
""""";

    public const string Cobertura = """""
<?xml version="1.0" encoding="utf-8"?>
<coverage line-rate="1" branch-rate="1" version="1.9" timestamp="1795347735" lines-covered="3" lines-valid="3" branches-covered="2" branches-valid="2">
  <sources>
    <source>/</source>
  </sources>
  <packages>
    <package name="Calc" line-rate="1" branch-rate="1" complexity="4">
      <classes>
        <class name="Calc.Calculator" filename="tmp/bs-dotnet/src/Calc/Calculator.cs" line-rate="1" branch-rate="1" complexity="4">
          <methods>
            <method name="Add" signature="(System.Int32,System.Int32)" line-rate="1" branch-rate="1" complexity="1">
              <lines>
                <line number="5" hits="1" branch="False" />
              </lines>
            </method>
            <method name="Divide" signature="(System.Int32,System.Int32)" line-rate="1" branch-rate="1" complexity="2">
              <lines>
                <line number="7" hits="2" branch="True" condition-coverage="100% (2/2)">
                  <conditions>
                    <condition number="1" type="jump" coverage="100%" />
                  </conditions>
                </line>
              </lines>
            </method>
            <method name="IsEven" signature="(System.Int32)" line-rate="1" branch-rate="1" complexity="1">
              <lines>
                <line number="9" hits="1" branch="False" />
              </lines>
            </method>
          </methods>
          <lines>
            <line number="5" hits="1" branch="False" />
            <line number="7" hits="2" branch="True" condition-coverage="100% (2/2)">
              <conditions>
                <condition number="1" type="jump" coverage="100%" />
              </conditions>
            </line>
            <line number="9" hits="1" branch="False" />
          </lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
""""";

    public const string NodeJUnit = """""
<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testcase name="adds" time="0.002015" classname="test"/>
	<testcase name="fails" time="0.009227" classname="test" failure="2 == 3">
		<failure type="testCodeFailure" message="2 == 3">
[Error [ERR_TEST_FAILURE]: 2 == 3] {
  code: 'ERR_TEST_FAILURE',
  failureType: 'testCodeFailure',
  cause: AssertionError [ERR_ASSERTION]: 2 == 3
      at TestContext.&lt;anonymous> (file:///tmp/jt/a.test.mjs:4:28)
      at Test.runInAsyncScope (node:async_hooks:206:9)
      at Test.run (node:internal/test_runner/test:796:25)
      at Test.processPendingSubtests (node:internal/test_runner/test:526:18)
      at Test.postRun (node:internal/test_runner/test:889:19)
      at Test.run (node:internal/test_runner/test:835:12)
      at async Test.processPendingSubtests (node:internal/test_runner/test:526:7) {
    generatedMessage: true,
    code: 'ERR_ASSERTION',
    actual: 2,
    expected: 3,
    operator: '=='
  }
}
		</failure>
	</testcase>
	<testcase name="skipped one" time="0.000267" classname="test">
		<skipped type="skipped" message="true"/>
	</testcase>
	<testsuite name="math" time="0.000806" disabled="0" errors="0" tests="1" failures="0" skipped="0" hostname="vm">
		<testcase name="mul" time="0.000326" classname="test"/>
	</testsuite>
	<!-- tests 4 -->
	<!-- suites 1 -->
	<!-- pass 2 -->
	<!-- fail 1 -->
	<!-- cancelled 0 -->
	<!-- skipped 1 -->
	<!-- todo 0 -->
	<!-- duration_ms 568.072117 -->
</testsuites>
""""";
}
