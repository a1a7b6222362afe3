import {
  Component,
  h,
  type ComponentType,
  type FunctionComponent,
} from "preact";

/**
 * Wraps `render` in a component that renders again only when a prop
 * changes identity, like `memo` of preact/compat. That module is not used
 * because importing it changes Preact's options for every component.
 */
export function memo<P extends object>(
  render: FunctionComponent<P>,
): ComponentType<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !samePropsAs(this.props, next);
    }

    override render(props: P) {
      return h(render, props);
    }
  }
  return Memo;
}

function samePropsAs(current: object, next: object): boolean {
  const a = current as Record<string, unknown>;
  const b = next as Record<string, unknown>;
  for (const key in a) if (a[key] !== b[key]) return false;
  for (const key in b) if (!(key in a)) return false;
  return true;
}
