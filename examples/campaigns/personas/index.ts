import type { Persona } from "../../../src/generate/persona.ts";
import { benignNoiseUser, inviteException, invisibleFailureUser, listFilterFailure, saveFailure, sendException } from "./errors.ts";
import { deadClickUser, onboardingHiddenChoice, scheduleDateConfusion, slowPageUser } from "./friction.ts";
import { happyAdmin, happyOnboarder, happyScheduler, happySender } from "./happy.ts";

/** Postbird's scripted users, happy paths first. */
export const CAMPAIGN_PERSONAS: readonly Persona[] = [
  happySender,
  happyScheduler,
  happyOnboarder,
  happyAdmin,
  sendException,
  inviteException,
  benignNoiseUser,
  saveFailure,
  listFilterFailure,
  invisibleFailureUser,
  scheduleDateConfusion,
  onboardingHiddenChoice,
  deadClickUser,
  slowPageUser,
];
