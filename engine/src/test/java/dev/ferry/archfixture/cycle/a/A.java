package dev.ferry.archfixture.cycle.a;

import dev.ferry.archfixture.cycle.b.B;

/** Half of a deliberate package cycle: ArchitectureTest proves its cycle rule catches it. */
public final class A {
    public B partner() {
        return new B();
    }
}
