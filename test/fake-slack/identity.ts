/** Who the fake workspace and its bot are. Payload builders default to the same ids. */
export const FAKE_IDENTITY = {
  teamId: 'T0FAKETEAM1',
  teamDomain: 'fake-workspace',
  teamName: 'Fake Workspace',
  url: 'https://fake-workspace.slack.com/',
  appId: 'A0FAKEAPP01',
  botUserId: 'U0FAKEBOT01',
  botId: 'B0FAKEBOT01',
  botName: 'mpibox',
  /** Legacy verification token, still sent in payloads; apps verify signatures instead. */
  verificationToken: 'fake-verification-token',
} as const;
