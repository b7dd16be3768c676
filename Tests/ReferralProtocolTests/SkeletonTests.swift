import Testing

@Test func skeletonBuilds() {
    #expect(1 + 1 == 2)
}
