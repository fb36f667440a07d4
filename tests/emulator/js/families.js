const v2 = require('@aws-sdk/client-sesv2');
const v1 = require('@aws-sdk/client-ses');
const [endpoint, key, secret] = process.argv.slice(2);
const options = (region) => ({ endpoint, region, credentials: { accessKeyId: key, secretAccessKey: secret } });
const sesv2 = new v2.SESv2Client(options('us-east-1'));
const ses = new v1.SESClient(options('us-east-1'));
const west = new v2.SESv2Client(options('eu-west-1'));
const failure = async (promise) => { try { await promise; return null; } catch (e) { return e.name; } };
(async () => {
  const out = {};
  // identities
  await sesv2.send(new v2.CreateEmailIdentityCommand({ EmailIdentity: 'example.com' }));
  await ses.send(new v1.VerifyEmailIdentityCommand({ EmailAddress: 'ann@example.org' }));
  out.identities = (await ses.send(new v1.ListIdentitiesCommand({}))).Identities.sort();
  out.westIdentities = (await west.send(new v2.ListEmailIdentitiesCommand({}))).EmailIdentities.length;
  // configuration sets
  await ses.send(new v1.CreateConfigurationSetCommand({ ConfigurationSet: { Name: 'news' } }));
  await sesv2.send(new v2.PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: 'news', SendingEnabled: false }));
  const raw = new TextEncoder().encode('From: a@example.com\r\nTo: b@example.org\r\nSubject: s\r\n\r\nhi\r\n');
  out.paused = await failure(sesv2.send(new v2.SendEmailCommand({ Content: { Raw: { Data: raw } }, ConfigurationSetName: 'news' })));
  // templates and bulk
  await ses.send(new v1.CreateTemplateCommand({ Template: { TemplateName: 'hi', SubjectPart: 'Hi {{name}}', TextPart: '{{#if vip}}VIP{{/if}}' } }));
  out.rendered = (await sesv2.send(new v2.TestRenderEmailTemplateCommand({ TemplateName: 'hi', TemplateData: '{"name":"Ann","vip":true}' }))).RenderedTemplate;
  out.missing = await failure(ses.send(new v1.TestRenderTemplateCommand({ TemplateName: 'hi', TemplateData: '{}' })));
  const bulk = await sesv2.send(new v2.SendBulkEmailCommand({ FromEmailAddress: 'a@example.com',
    DefaultContent: { Template: { TemplateName: 'hi', TemplateData: '{"name":"x"}' } },
    BulkEmailEntries: [{ Destination: { ToAddresses: ['u1@example.org'] } }, { Destination: { ToAddresses: ['u2@example.org'] } }] }));
  out.bulk = bulk.BulkEmailEntryResults.map(r => r.Status);
  // list management
  await sesv2.send(new v2.CreateContactListCommand({ ContactListName: 'news', Topics: [{ TopicName: 'weekly', DisplayName: 'Weekly', DefaultSubscriptionStatus: 'OPT_OUT' }] }));
  await sesv2.send(new v2.CreateContactCommand({ ContactListName: 'news', EmailAddress: 'ann@example.org' }));
  const listed = await sesv2.send(new v2.SendEmailCommand({ FromEmailAddress: 'n@example.com', Destination: { ToAddresses: ['ann@example.org'] },
    Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } }, ListManagementOptions: { ContactListName: 'news', TopicName: 'weekly' } }));
  const insights = await sesv2.send(new v2.GetMessageInsightsCommand({ MessageId: listed.MessageId }));
  out.listEvents = insights.Insights[0].Events.map(e => e.Type);
  out.secondList = await failure(sesv2.send(new v2.CreateContactListCommand({ ContactListName: 'two' })));
  // account resources
  await sesv2.send(new v2.PutSuppressedDestinationCommand({ EmailAddress: 'gone@example.org', Reason: 'COMPLAINT' }));
  out.suppressed = (await sesv2.send(new v2.GetSuppressedDestinationCommand({ EmailAddress: 'gone@example.org' }))).SuppressedDestination.Reason;
  await sesv2.send(new v2.CreateDedicatedIpPoolCommand({ PoolName: 'pool', Tags: [{ Key: 'a', Value: 'b' }] }));
  out.pools = (await sesv2.send(new v2.ListDedicatedIpPoolsCommand({}))).DedicatedIpPools;
  out.vdm = (await sesv2.send(new v2.GetAccountCommand({}))).VdmAttributes.VdmEnabled;
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
