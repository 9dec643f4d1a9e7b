import { addToCartException } from "./add-to-cart-exception.ts";
import { benignNoiseBuyer } from "./benign-noise-buyer.ts";
import { cartUpdateFailure } from "./cart-update-failure.ts";
import { couponConfusion } from "./coupon-confusion.ts";
import { deadClickShopper } from "./dead-click-shopper.ts";
import { happyBuyer } from "./happy-buyer.ts";
import { happyReturning } from "./happy-returning.ts";
import { happySearcher } from "./happy-searcher.ts";
import { hiddenFieldAbandoner } from "./hidden-field-abandoner.ts";
import { invisibleFailureBuyer } from "./invisible-failure-buyer.ts";
import { placeOrderException } from "./place-order-exception.ts";
import { searchFailure } from "./search-failure.ts";
import { signInConfusion } from "./sign-in-confusion.ts";
import { slowPageVisitor } from "./slow-page-visitor.ts";
import type { Persona } from "../../../src/generate/persona.ts";

export const PERSONAS: readonly Persona[] = [
  happyBuyer,
  happySearcher,
  happyReturning,
  placeOrderException,
  addToCartException,
  benignNoiseBuyer,
  searchFailure,
  cartUpdateFailure,
  invisibleFailureBuyer,
  couponConfusion,
  signInConfusion,
  hiddenFieldAbandoner,
  deadClickShopper,
  slowPageVisitor,
];

export type { Persona } from "../../../src/generate/persona.ts";
