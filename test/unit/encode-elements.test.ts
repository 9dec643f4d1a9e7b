import { describe, expect, it } from "vitest";
import { elementContextOf } from "../../src/encode/element-context.ts";
import { elementsOf, parseElementsChain } from "../../src/encode/elements-chain.ts";
import { capturedElements, elementsChain, type FixtureElement } from "./encode-fixtures.ts";

describe("parseElementsChain", () => {
  it("reads tag, classes, text, href, id and attr__ attributes of each element, innermost first", () => {
    const chain = 'button.btn.primary:attr__aria-label="Buy"attr__type="submit"href="/x"nth-child="2"nth-of-type="1"text="Place order";form:attr_id="pay"nth-child="1"nth-of-type="1"';
    const [button, form] = parseElementsChain(chain);
    expect(button).toEqual({
      tag: "button",
      classes: ["btn", "primary"],
      text: "Place order",
      href: "/x",
      id: undefined,
      attributes: { "aria-label": "Buy", type: "submit" },
    });
    expect(form?.tag).toBe("form");
    expect(form?.id).toBe("pay");
  });

  it("keeps escaped quotes and semicolons inside values", () => {
    const [element, parent] = parseElementsChain('span:text="Say \\"hi\\"; then go"nth-child="1";div:nth-child="2"');
    expect(element?.text).toBe('Say "hi"; then go');
    expect(parent?.tag).toBe("div");
  });

  it("treats colons in classes (Tailwind variants) as part of the class, not the attribute start", () => {
    const [element] = parseElementsChain('div.hover:bg-blue-500.md:flex:nth-child="1"text="Menu"');
    expect(element?.classes).toEqual(["hover:bg-blue-500", "md:flex"]);
    expect(element?.text).toBe("Menu");
  });

  it("accepts attr__id and attr__href as id and href", () => {
    const [element] = parseElementsChain('a:attr__href="/docs"attr__id="docs-link"');
    expect(element?.href).toBe("/docs");
    expect(element?.id).toBe("docs-link");
  });

  it("tolerates malformed input: keeps what it could read", () => {
    expect(parseElementsChain("")).toEqual([]);
    expect(parseElementsChain("button")).toEqual([{ tag: "button", classes: [], attributes: {} }]);
    const [element] = parseElementsChain('a:text="Home"href=/unquoted');
    expect(element?.text).toBe("Home");
    const [unterminated] = parseElementsChain('a:text="never closed');
    expect(unterminated?.text).toBe("never closed");
  });

  it("round-trips what the fixture serializer (PostHog's format) writes", () => {
    const elements: FixtureElement[] = [
      { tag: "input", id: "email", attributes: { type: "email", "aria-label": 'Your "work" email' } },
      { tag: "label", text: "Email; required" },
    ];
    const [input, label] = parseElementsChain(elementsChain(elements));
    expect(input?.attributes).toMatchObject({ type: "email", "aria-label": 'Your "work" email' });
    expect(input?.id).toBe("email");
    expect(label?.text).toBe("Email; required");
  });
});

describe("elementsOf", () => {
  it("prefers $elements and falls back to the chain", () => {
    const fromArray = elementsOf({ $elements: capturedElements([{ tag: "button", text: "From array" }]), $elements_chain: 'a:text="From chain"' });
    expect(fromArray[0]?.text).toBe("From array");
    expect(elementsOf({ $elements: [], $elements_chain: 'a:text="From chain"' })[0]?.text).toBe("From chain");
    expect(elementsOf({})).toEqual([]);
  });
});

describe("elementContextOf", () => {
  const contextOf = (elements: FixtureElement[]) => elementContextOf(parseElementsChain(elementsChain(elements)));

  it("names the innermost meaningful control with its input type", () => {
    expect(contextOf([{ tag: "input", attributes: { type: "email" } }, { tag: "form" }])?.element).toBe("input[type=email]");
    expect(contextOf([{ tag: "svg" }, { tag: "span" }, { tag: "a", href: "/cart" }])?.element).toBe("a");
    expect(contextOf([{ tag: "div" }, { tag: "main" }])?.element).toBe("div");
  });

  it("says which form field it was, by id or else by name", () => {
    expect(contextOf([{ tag: "input", id: "email", attributes: { type: "email", name: "e" } }])?.element).toBe("input[type=email]#email");
    expect(contextOf([{ tag: "select", attributes: { name: "country" } }])?.element).toBe("select[name=country]");
    expect(contextOf([{ tag: "button", id: "pay", attributes: { name: "pay" } }])?.element).toBe("button");
  });

  it("ignores a button's type", () => {
    expect(contextOf([{ tag: "button", attributes: { type: "submit" } }])?.element).toBe("button");
  });

  it("takes the element's own text, else the nearest ancestor's", () => {
    expect(
      contextOf([
        { tag: "button", text: "Own" },
        { tag: "div", text: "Parent" },
      ])?.text,
    ).toBe("Own");
    expect(contextOf([{ tag: "svg" }, { tag: "button", text: "Save" }, { tag: "div", text: "Far" }])?.text).toBe("Save");
  });

  it("takes aria-label and href from the control, not from regions around it", () => {
    const context = contextOf([{ tag: "svg" }, { tag: "a", href: "/cart", attributes: { "aria-label": "Open cart" } }, { tag: "nav", attributes: { "aria-label": "Main" } }]);
    expect(context).toMatchObject({ ariaLabel: "Open cart", href: "/cart", text: "" });
    expect(
      contextOf([
        { tag: "a", text: "Home", href: "/" },
        { tag: "nav", attributes: { "aria-label": "Main" } },
      ])?.ariaLabel,
    ).toBe("");
  });

  it("is undefined for an empty chain", () => {
    expect(elementContextOf([])).toBeUndefined();
  });
});
